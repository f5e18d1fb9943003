/**
 * One WebSocket session of ws-v1.md: its messages and turns (ws-turns.ts). The socket's
 * life (rate limit, keepalive, idle timeout, flow control, drain, close, teardown) is
 * ws-connection.ts's.
 *
 * A message rejected with a recoverable error changes nothing.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from './context.ts';
import { MAX_OPEN_TURNS, WsConnection, type CloseNotice, type ParsedFrame } from './ws-connection.ts';
import { parseClientFrame, Reject, type ClientMessage } from './ws-messages.ts';
import type { Overrides, Settings, Turn } from './ws-turn.ts';

export class WsSession extends WsConnection {
  readonly #settings: Settings;

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, settings: Settings, log: FastifyBaseLogger) {
    super('ws', id, socket, ctx, log);
    this.#settings = settings;
  }

  /** Wire the socket, send `ready`, then report any rejected query defaults. */
  start(rejects: readonly Reject[]): void {
    this.wire();
    const { voice, speed, format } = this.#settings;
    this.sendJson({ type: 'ready', session_id: this.id, sample_rate: OUTPUT_SAMPLE_RATE, format, voice, speed, protocol: 1 });
    for (const r of rejects) this.#error(r.code, `query parameter: ${r.message}`);
    this.log.info({ voice, speed, format, rejectedQuery: rejects.map((r) => r.code) }, 'ws session opened');
  }

  protected parseFrame(data: RawData, isBinary: boolean): ParsedFrame {
    if (isBinary) throw new Reject('bad_message', 'binary frames are not accepted; send JSON text frames');
    const msg = parseClientFrame(data.toString());
    const textChars = msg.type === 'text' || msg.type === 'speak' ? msg.text.length : undefined;
    return { textChars, apply: () => this.#handle(msg) };
  }

  protected recover(err: unknown): boolean {
    if (!(err instanceof Reject)) return false;
    this.#error(err.code, err.message, err.turnId);
    return true;
  }

  protected closeFrame(notice: CloseNotice): object {
    return { type: 'error', code: notice.code, message: notice.message, recoverable: false };
  }

  protected onTurnFrame(frame: object): void {
    this.sendJson(frame);
  }

  protected onTurnAudio(meta: object, payload: Buffer): void {
    this.sendJson(meta);
    this.sendBinary([payload]);
  }

  #handle(msg: ClientMessage): void {
    switch (msg.type) {
      case 'config':
        this.log.debug({ voice: msg.voice, speed: msg.speed, format: msg.format }, 'ws config received');
        if (msg.voice !== undefined) this.#settings.voice = msg.voice;
        if (msg.speed !== undefined) this.#settings.speed = msg.speed;
        if (msg.format !== undefined) this.#settings.format = msg.format;
        for (const turn of this.turns.list()) turn.applyDefaults(this.#settings);
        return;
      case 'text':
        this.#acceptText(msg.text, msg.turnId, undefined, false);
        return;
      case 'speak': {
        this.log.debug({ turnId: msg.turnId, voice: msg.voice ?? this.#settings.voice, speed: msg.speed ?? this.#settings.speed, chars: msg.text.length }, 'ws speak received');
        const overrides: Overrides = {};
        if (msg.voice !== undefined) overrides.voice = msg.voice;
        if (msg.speed !== undefined) overrides.speed = msg.speed;
        this.#acceptText(msg.text, msg.turnId, overrides, true);
        return;
      }
      case 'flush':
        this.#flush(msg.turnId);
        return;
      case 'cancel':
        this.#cancel(msg.turnId);
        return;
      case 'ping':
        this.sendJson(msg.id === undefined ? { type: 'pong' } : { type: 'pong', id: msg.id });
        return;
    }
  }

  #acceptText(text: string, turnId: string | undefined, overrides: Overrides | undefined, flush: boolean): void {
    const found = this.turns.lookup(turnId);
    if (found.kind === 'flushed' || (found.kind === 'closed' && found.how === 'done')) {
      throw Object.assign(new Reject('bad_message', `turn "${turnId}" was already flushed`), { turnId });
    }
    // Text racing a barge-in: nothing more of a cancelled turn is wanted.
    if (found.kind === 'closed') return;
    const turn = found.kind === 'open' ? found.turn : undefined;
    if (turn === undefined && !this.#mayOpenTurn(turnId)) return;
    const limit = this.ctx.config.maxTurnChars;
    if ((turn?.chars ?? 0) + text.length > limit) {
      this.#error('text_too_long', `a turn holds at most ${limit} characters`, turnId ?? turn?.id);
      return;
    }
    if (text.length > 0 && this.ctx.pool.health().queueDepth >= this.ctx.config.maxQueue) {
      this.#error('overloaded', 'the synthesis queue is full; nothing was queued', turnId ?? turn?.id);
      return;
    }
    if (turn === undefined && text.length === 0 && !flush) return;
    const target = turn ?? this.turns.open(turnId, this.#settings);
    if (text.length > 0) target.append(text, this.#settings.format, overrides);
    if (flush) this.#flushTurn(target, overrides);
  }

  /** A new turn may open unless the host is draining or the session has too many. */
  #mayOpenTurn(turnId: string | undefined): boolean {
    if (this.draining) {
      this.#error('shutting_down', 'the host is shutting down and takes no new turns', turnId, false);
      return false;
    }
    if (this.turns.openCount >= MAX_OPEN_TURNS) {
      this.#error('overloaded', `a session has at most ${MAX_OPEN_TURNS} open turns`, turnId);
      return false;
    }
    return true;
  }

  #flush(turnId: string | undefined): void {
    const found = this.turns.lookup(turnId);
    if (found.kind === 'open') this.#flushTurn(found.turn);
    else if (found.kind === 'none' && turnId !== undefined && this.#mayOpenTurn(turnId)) {
      // Flushing a turn never seen: an empty turn, answered with tts_done (0 chunks).
      this.#flushTurn(this.turns.open(turnId, this.#settings));
    }
  }

  #flushTurn(turn: Turn, overrides?: Overrides): void {
    this.turns.flushed(turn);
    turn.flush(this.#settings.format, overrides);
  }

  #cancel(turnId: string | undefined): void {
    if (turnId === undefined) {
      for (const turn of this.turns.list()) this.sendJson({ type: 'cancelled', turn_id: turn.id, last_index: this.turns.cancel(turn) });
      return;
    }
    const found = this.turns.lookup(turnId);
    let lastIndex = -1;
    if (found.kind === 'open' || found.kind === 'flushed') lastIndex = this.turns.cancel(found.turn);
    else if (found.kind === 'closed') lastIndex = found.lastIndex;
    else this.turns.rememberCancelled(turnId);
    this.sendJson({ type: 'cancelled', turn_id: turnId, last_index: lastIndex });
  }

  #error(code: string, message: string, turnId?: string, recoverable = true): void {
    this.sendJson({ type: 'error', code, message, recoverable, ...(turnId !== undefined ? { turn_id: turnId } : {}) });
  }
}
