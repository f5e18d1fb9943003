/**
 * One WebSocket session of ws-v1.md: its messages, its turns (a TurnQueue), and how it
 * renders a turn's events as ws-v1 frames (tts_meta + binary PCM, error, tts_done). The
 * socket's life (rate limit, keepalive, idle timeout, flow control, drain, close,
 * teardown) is the SocketSession's it owns.
 *
 * A message rejected with a recoverable error changes nothing.
 */
import type { Language } from '../../shared/languages.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { floatToS16le } from '../../common/audio.ts';
import type { ErrorCode } from '../../errors.ts';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from '../../gateway/context.ts';
import { MAX_OPEN_TURNS, SocketSession, type CloseNotice, type ParsedFrame, type SocketProtocol } from '../../gateway/socket/connection.ts';
import { TurnQueue } from '../../gateway/turn/turn-queue.ts';
import type { Overrides, Turn, TurnAudio, TurnChunkFailed, TurnDone, TurnEvents } from '../../gateway/turn/turn.ts';
import { errorFrame } from './frames.ts';
import { timingFields } from './word-fields.ts';
import { parseClientFrame, Reject, type ClientMessage, type WsFormat } from './messages.ts';
import { streamedMarkupProblem } from '../../pronunciation/check-markup.ts';

export interface Settings {
  voice: string;
  speed: number;
  format: WsFormat;
  /** The word-timing extension (ws-v1.md): offset_ms and words in every tts_meta. */
  timestamps: boolean;
  /** `lang` (README: Languages); undefined: each chunk is read in its voice's language. */
  lang?: Language;
}

function pcmPayload(pcm: Float32Array, format: WsFormat): Buffer {
  // f32le: the platform's float layout is little-endian on every target Node supports here (x64, arm64).
  return format === 'f32le' ? Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength) : floatToS16le(pcm);
}

export class WsSession implements SocketProtocol, TurnEvents<WsFormat> {
  readonly kind = 'ws';
  readonly socket: SocketSession;
  readonly #ctx: GatewayContext;
  readonly #settings: Settings;
  readonly #turns: TurnQueue<WsFormat>;
  readonly #log: FastifyBaseLogger;

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, settings: Settings, log: FastifyBaseLogger) {
    this.#ctx = ctx;
    this.#settings = settings;
    this.#log = log;
    this.socket = new SocketSession(id, socket, ctx, log, this);
    this.#turns = new TurnQueue(ctx, id, this, log, (open) => this.socket.turnsChanged(open));
  }

  /** Wire the socket, send `ready`, then report any rejected query defaults. */
  start(rejects: readonly Reject[]): void {
    this.socket.wire();
    const { voice, speed, format } = this.#settings;
    const timestamps = this.#ctx.pool.timesWords === true;
    this.socket.sendJson({ type: 'ready', session_id: this.socket.id, sample_rate: OUTPUT_SAMPLE_RATE, format, voice, speed, protocol: 1, timestamps });
    for (const r of rejects) this.#error(r.code, `query parameter: ${r.message}`);
    this.#log.info({ voice, speed, format, rejectedQuery: rejects.map((r) => r.code) }, 'ws session opened');
  }

  // -- SocketProtocol ----------------------------------------------------------------

  get openTurns(): number {
    return this.#turns.openCount;
  }

  parseFrame(data: RawData, isBinary: boolean): ParsedFrame {
    if (isBinary) throw new Reject('bad_message', 'binary frames are not accepted; send JSON text frames');
    const msg = parseClientFrame(data.toString());
    const textChars = msg.type === 'text' || msg.type === 'speak' ? msg.text.length : undefined;
    return { textChars, apply: () => this.#handle(msg) };
  }

  recover(err: unknown): boolean {
    if (!(err instanceof Reject)) return false;
    this.#error(err.code, err.message, err.turnId);
    return true;
  }

  closeFrame(notice: CloseNotice): object {
    return errorFrame(notice.code, notice.message);
  }

  pauseTurns(): void {
    this.#turns.pauseAll();
  }

  resumeTurns(): void {
    this.#turns.resumeAll();
  }

  teardown(): void {
    this.#turns.cancelAll();
  }

  // -- TurnEvents: a turn rendered as ws-v1 frames ----------------------------------------

  audio(turn: Turn<WsFormat>, a: TurnAudio<WsFormat>): void {
    const meta = {
      type: 'tts_meta',
      turn_id: turn.id,
      index: a.index,
      text: a.text,
      samples: a.pcm.length,
      sample_rate: OUTPUT_SAMPLE_RATE,
      format: a.render,
      synth_ms: Math.round(a.synthMs),
      queue_ms: Math.round(a.queueMs),
      ...(this.#settings.timestamps ? timingFields(a, OUTPUT_SAMPLE_RATE) : {}),
    };
    this.socket.sendJson(meta);
    this.socket.sendBinary([pcmPayload(a.pcm, a.render)]);
  }

  chunkFailed(turn: Turn<WsFormat>, f: TurnChunkFailed): void {
    this.socket.sendJson(errorFrame(f.code, f.message, { turnId: turn.id, index: f.index }));
  }

  done(turn: Turn<WsFormat>, d: TurnDone): void {
    if (d.allFailed) this.socket.sendJson(errorFrame('tts_all_failed', 'every chunk of the turn failed', { turnId: turn.id }));
    this.socket.sendJson({ type: 'tts_done', turn_id: turn.id, chunks: d.chunks, failed: d.failed, audio_ms: d.audioMs, first_audio_ms: d.firstAudioMs });
  }

  // -- messages -------------------------------------------------------------------------

  #handle(msg: ClientMessage): void {
    switch (msg.type) {
      case 'config':
        this.#log.debug({ voice: msg.voice, speed: msg.speed, format: msg.format, timestamps: msg.timestamps, lang: msg.lang }, 'ws config received');
        if (msg.timestamps !== undefined) this.#settings.timestamps = msg.timestamps;
        if (msg.voice !== undefined) this.#settings.voice = msg.voice;
        if (msg.speed !== undefined) this.#settings.speed = msg.speed;
        if (msg.format !== undefined) this.#settings.format = msg.format;
        if (msg.lang !== undefined) this.#settings.lang = msg.lang;
        for (const turn of this.#turns.list()) turn.applyDefaults(this.#settings, this.#settings.format);
        return;
      case 'text':
        this.#acceptText(msg.text, msg.turnId, undefined, false);
        return;
      case 'speak': {
        this.#log.debug({ turnId: msg.turnId, voice: msg.voice ?? this.#settings.voice, speed: msg.speed ?? this.#settings.speed, chars: msg.text.length }, 'ws speak received');
        const overrides: Overrides = {};
        if (msg.voice !== undefined) overrides.voice = msg.voice;
        if (msg.speed !== undefined) overrides.speed = msg.speed;
        if (msg.lang !== undefined) overrides.lang = msg.lang;
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
        this.socket.sendJson(msg.id === undefined ? { type: 'pong' } : { type: 'pong', id: msg.id });
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
    const badTag = streamedMarkupProblem(text);
    if (badTag !== null) {
      this.#error('invalid_markup', `${badTag}; this text was dropped`, turnId ?? turn?.id);
      return;
    }
    if (text.length > 0 && this.#ctx.pool.health().queueDepth >= this.#ctx.config.maxQueue) {
      this.#error('overloaded', 'the synthesis queue is full; nothing was queued', turnId ?? turn?.id);
      return;
    }
    if (turn === undefined && text.length === 0 && !flush) return;
    const target = turn ?? this.#turns.open(turnId, this.#settings);
    if (text.length > 0) target.append(text, this.#settings.format, overrides);
    if (flush) this.#turns.flush(target, this.#settings.format, overrides);
  }

  /** A new turn may open unless the host is draining or the session has too many. */
  #mayOpenTurn(turnId: string | undefined): boolean {
    if (this.socket.draining) {
      this.#error('shutting_down', 'the host is shutting down and takes no new turns', turnId);
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
    if (found.kind === 'open') this.#turns.flush(found.turn, this.#settings.format);
    else if (found.kind === 'none' && turnId !== undefined && this.#mayOpenTurn(turnId)) {
      // Flushing a turn never seen: an empty turn, answered with tts_done (0 chunks).
      this.#turns.flush(this.#turns.open(turnId, this.#settings), this.#settings.format);
    }
  }

  #cancel(turnId: string | undefined): void {
    if (turnId === undefined) {
      for (const turn of this.#turns.list()) this.socket.sendJson({ type: 'cancelled', turn_id: turn.id, last_index: this.#turns.cancel(turn) });
      return;
    }
    const found = this.#turns.lookup(turnId);
    let lastIndex = -1;
    if (found.kind === 'open' || found.kind === 'flushed') lastIndex = this.#turns.cancel(found.turn);
    else if (found.kind === 'closed') lastIndex = found.lastIndex;
    else this.#turns.rememberCancelled(turnId);
    this.socket.sendJson({ type: 'cancelled', turn_id: turnId, last_index: lastIndex });
  }

  #error(code: ErrorCode, message: string, turnId?: string): void {
    this.socket.sendJson(errorFrame(code, message, turnId === undefined ? {} : { turnId }));
  }
}
