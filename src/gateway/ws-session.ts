/**
 * One WebSocket session of ws-v1.md: message handling, keepalive, idle timeout, rate
 * limit and flow control around the session's turns (ws-turns.ts).
 *
 * A message rejected with a recoverable error changes nothing. Every way out (client
 * close, abrupt disconnect, keepalive loss, slow reader, rate limit, shutdown) goes
 * through one teardown: cancel every turn and the owner's queued pool work, clear timers.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from './context.ts';
import type { Drainable } from './lifecycle.ts';
import { TokenBucket } from './rate-limit.ts';
import { Keepalive } from './ws-keepalive.ts';
import { FlowControl } from './ws-flow.ts';
import { parseClientFrame, Reject, type ClientMessage } from './ws-messages.ts';
import type { Overrides, Settings, Turn } from './ws-turn.ts';
import { TurnQueue } from './ws-turns.ts';

/** How long a peer gets to answer our close frame before its socket is destroyed. */
const CLOSE_HANDSHAKE_MS = 1000;
/** Open turns per session; each holds at most a pipeline's look-ahead of audio. */
export const MAX_OPEN_TURNS = 32;

export class WsSession implements Drainable {
  readonly id: string;
  readonly #socket: WebSocket;
  readonly #ctx: GatewayContext;
  readonly #log: FastifyBaseLogger;
  readonly #settings: Settings;
  readonly #turns: TurnQueue;
  readonly #bucket: TokenBucket;
  readonly #flow: FlowControl;
  readonly #afterSend = (err?: Error | null) => {
    if (err == null && !this.#closing) this.#flow.check();
  };
  readonly #closed: Promise<void>;
  #markClosed!: () => void;
  #keepalive: Keepalive | undefined;
  #terminateTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #draining = false;
  #tornDown = false;

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, settings: Settings, log: FastifyBaseLogger) {
    this.id = id;
    this.#socket = socket;
    this.#ctx = ctx;
    this.#log = log;
    this.#settings = settings;
    const c = ctx.config;
    this.#bucket = new TokenBucket(c.wsMessagesPerSecond, c.wsMessageBurst);
    this.#flow = new FlowControl(() => socket.bufferedAmount, {
      highWaterBytes: c.wsHighWaterBytes,
      hardLimitBytes: c.wsHardLimitBytes,
      graceMs: c.wsSlowReaderGraceMs,
      onPause: () => this.#turns.pauseAll(),
      onResume: () => this.#turns.resumeAll(),
      // No error frame: it would only queue behind the audio the client is not reading.
      onSlowReader: () => this.#closeWith(1008, 'slow consumer'),
    });
    const sink = { json: (frame: object) => this.#send(frame), audio: (meta: object, payload: Buffer) => this.#sendAudio(meta, payload) };
    this.#turns = new TurnQueue(ctx, id, sink, log, (open) => this.#onTurnCount(open));
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
  }

  /** Wire the socket, send `ready`, then report any rejected query defaults. */
  start(rejects: readonly Reject[]): void {
    const socket = this.#socket;
    socket.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    socket.once('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString()));
    this.#keepalive = new Keepalive(socket, {
      pingIntervalMs: this.#ctx.config.wsPingIntervalMs,
      idleTimeoutMs: this.#ctx.config.wsIdleTimeoutMs,
      busy: () => this.#turns.openCount > 0,
      onDead: () => this.#closeWith(1001, 'keepalive timeout', undefined, CLOSE_HANDSHAKE_MS),
      onIdle: () => this.#closeWith(1000, 'idle timeout'),
    });
    const { voice, speed, format } = this.#settings;
    this.#send({ type: 'ready', session_id: this.id, sample_rate: OUTPUT_SAMPLE_RATE, format, voice, speed, protocol: 1 });
    for (const r of rejects) this.#error(r.code, `query parameter: ${r.message}`);
    this.#log.info({ voice, speed, format, rejectedQuery: rejects.map((r) => r.code) }, 'ws session opened');
  }

  /** Resolves once the socket is closed and everything of the session released. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  busy(): boolean {
    return !this.#closing && this.#turns.openCount > 0;
  }

  beginShutdown(): void {
    this.#draining = true;
    if (this.#turns.openCount === 0) this.#shutdownClose();
  }

  forceClose(): Promise<void> {
    this.#shutdownClose();
    return this.#closed;
  }

  #shutdownClose(): void {
    this.#closeWith(1001, 'shutting down', { code: 'shutting_down', message: 'the host is shutting down' }, CLOSE_HANDSHAKE_MS);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closing) return;
    if (!this.#bucket.take()) {
      this.#closeWith(1008, 'rate limit exceeded');
      return;
    }
    if (this.#turns.openCount === 0) this.#keepalive?.restartIdle();
    try {
      if (isBinary) throw new Reject('bad_message', 'binary frames are not accepted; send JSON text frames');
      this.#handle(parseClientFrame(data.toString()));
    } catch (err) {
      if (err instanceof Reject) {
        this.#error(err.code, err.message, err.turnId);
        return;
      }
      this.#log.error({ err }, 'ws message handler failed');
      this.#closeWith(1011, 'internal error', { code: 'internal', message: 'internal error' });
    }
  }

  #handle(msg: ClientMessage): void {
    switch (msg.type) {
      case 'config':
        if (msg.voice !== undefined) this.#settings.voice = msg.voice;
        if (msg.speed !== undefined) this.#settings.speed = msg.speed;
        if (msg.format !== undefined) this.#settings.format = msg.format;
        for (const turn of this.#turns.list()) turn.applyDefaults(this.#settings);
        return;
      case 'text':
        this.#acceptText(msg.text, msg.turnId, undefined, false);
        return;
      case 'speak': {
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
        this.#send(msg.id === undefined ? { type: 'pong' } : { type: 'pong', id: msg.id });
        return;
    }
  }

  #acceptText(text: string, turnId: string | undefined, overrides: Overrides | undefined, flush: boolean): void {
    const found = this.#turns.lookup(turnId);
    if (found.kind === 'flushed' || (found.kind === 'closed' && found.how === 'done')) {
      throw Object.assign(new Reject('bad_message', `turn "${turnId}" was already flushed`), { turnId });
    }
    // Text racing a barge-in: nothing more of a cancelled turn is wanted.
    if (found.kind === 'closed') return;
    const turn = found.kind === 'open' ? found.turn : undefined;
    if (turn === undefined && !this.#mayOpenTurn(turnId)) return;
    const limit = this.#ctx.config.maxTurnChars;
    if ((turn?.chars ?? 0) + text.length > limit) {
      this.#error('text_too_long', `a turn holds at most ${limit} characters`, turnId ?? turn?.id);
      return;
    }
    if (text.length > 0 && this.#ctx.pool.health().queueDepth >= this.#ctx.config.maxQueue) {
      this.#error('overloaded', 'the synthesis queue is full; nothing was queued', turnId ?? turn?.id);
      return;
    }
    if (turn === undefined && text.length === 0 && !flush) return;
    const target = turn ?? this.#turns.open(turnId, this.#settings);
    if (text.length > 0) target.append(text, this.#settings.format, overrides);
    if (flush) this.#flushTurn(target, overrides);
  }

  /** A new turn may open unless the host is draining or the session has too many. */
  #mayOpenTurn(turnId: string | undefined): boolean {
    if (this.#draining) {
      this.#error('shutting_down', 'the host is shutting down and takes no new turns', turnId, false);
      return false;
    }
    if (this.#turns.openCount >= MAX_OPEN_TURNS) {
      this.#error('overloaded', `a session has at most ${MAX_OPEN_TURNS} open turns`, turnId);
      return false;
    }
    return true;
  }

  #flush(turnId: string | undefined): void {
    const found = this.#turns.lookup(turnId);
    if (found.kind === 'open') this.#flushTurn(found.turn);
    else if (found.kind === 'none' && turnId !== undefined && this.#mayOpenTurn(turnId)) {
      // Flushing a turn never seen: an empty turn, answered with tts_done (0 chunks).
      this.#flushTurn(this.#turns.open(turnId, this.#settings));
    }
  }

  #flushTurn(turn: Turn, overrides?: Overrides): void {
    this.#turns.flushed(turn);
    turn.flush(this.#settings.format, overrides);
  }

  #cancel(turnId: string | undefined): void {
    if (turnId === undefined) {
      for (const turn of this.#turns.list()) this.#send({ type: 'cancelled', turn_id: turn.id, last_index: this.#turns.cancel(turn) });
      return;
    }
    const found = this.#turns.lookup(turnId);
    let lastIndex = -1;
    if (found.kind === 'open' || found.kind === 'flushed') lastIndex = this.#turns.cancel(found.turn);
    else if (found.kind === 'closed') lastIndex = found.lastIndex;
    else this.#turns.rememberCancelled(turnId);
    this.#send({ type: 'cancelled', turn_id: turnId, last_index: lastIndex });
  }

  #onTurnCount(open: number): void {
    if (open === 0) {
      this.#keepalive?.restartIdle();
      if (this.#draining) this.#shutdownClose();
    }
    this.#ctx.lifecycle.changed();
  }

  #error(code: string, message: string, turnId?: string, recoverable = true): void {
    this.#send({ type: 'error', code, message, recoverable, ...(turnId !== undefined ? { turn_id: turnId } : {}) });
  }

  #send(frame: object): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.send(JSON.stringify(frame), this.#afterSend);
  }

  #sendAudio(meta: object, payload: Buffer): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.send(JSON.stringify(meta));
    this.#socket.send(payload, { binary: true }, this.#afterSend);
    this.#flow.check();
  }

  /** Close with a code, after an optional final error frame; the peer gets `terminateAfterMs` to answer. */
  #closeWith(code: number, reason: string, error?: { code: string; message: string }, terminateAfterMs?: number): void {
    if (this.#closing) return;
    if (error !== undefined) this.#error(error.code, error.message, undefined, false);
    this.#closing = true;
    this.#log.info({ code, reason }, 'ws session closing');
    this.#teardown();
    this.#socket.close(code, reason);
    if (terminateAfterMs !== undefined) this.#terminateTimer = setTimeout(() => this.#socket.terminate(), terminateAfterMs);
  }

  #onClose(code: number, reason: string): void {
    this.#closing = true;
    clearTimeout(this.#terminateTimer);
    this.#teardown();
    this.#log.info({ code, reason }, 'ws session closed');
    this.#markClosed();
  }

  #teardown(): void {
    if (this.#tornDown) return;
    this.#tornDown = true;
    this.#keepalive?.close();
    this.#flow.close();
    this.#turns.cancelAll();
    this.#ctx.pool.cancelOwner(this.id);
    this.#ctx.lifecycle.changed();
  }
}
