/**
 * What every WebSocket session of this host does with its socket, whatever protocol it
 * speaks (the native ws-v1 protocol, Deepgram's Speak): rate limits, keepalive
 * and idle timeout, flow control towards a slow reader, the shutdown drain, a close
 * handshake with a bound, and one teardown that every way out goes through (client close,
 * abrupt disconnect, keepalive loss, slow reader, rate limit, shutdown): cancel every turn
 * and the session's queued pool work, clear every timer.
 *
 * A protocol subclasses it with its frames: how a text frame is parsed and applied, what a
 * rejected one is answered with, what its final error frame looks like. Its turns live in
 * `turns`.
 *
 * Two rate limits, both token buckets: text for the speech (ws-v1 `text`/`speak`,
 * Deepgram `Speak`) is charged by its characters, so an LLM streaming one token per
 * message is never cut off; every other frame (control messages, and frames that do not
 * parse) is charged one message. Each frame is parsed, charged, and only then applied.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { GatewayContext } from '../context.ts';
import { TokenBucket } from './rate-limit.ts';
import type { AdmittedSession } from './admission.ts';
import { FlowControl } from './flow.ts';
import { Keepalive } from './keepalive.ts';
import type { TurnSink } from '../turn/turn.ts';
import { TurnQueue } from '../turn/turn-queue.ts';

/** How long a peer gets to answer our close frame before its socket is destroyed. */
const CLOSE_HANDSHAKE_MS = 1000;
/** Open turns per session; each holds at most a pipeline's look-ahead of audio. */
export const MAX_OPEN_TURNS = 32;

export interface CloseNotice {
  code: string;
  message: string;
}

/** A client frame, parsed: what it costs, and what it does once admitted. */
export interface ParsedFrame {
  /** Characters of speech text it carries; undefined for a control message. */
  textChars?: number | undefined;
  apply(): void;
}

export abstract class WsConnection implements AdmittedSession {
  readonly id: string;
  protected readonly ctx: GatewayContext;
  protected readonly log: FastifyBaseLogger;
  protected readonly turns: TurnQueue;
  /** Shutdown has begun: finish the open turns, open no new one. */
  protected draining = false;
  /** Names the protocol in log lines ('ws session closing'). */
  readonly #kind: string;
  readonly #socket: WebSocket;
  /** Control messages (and frames that do not parse), one token each. */
  readonly #messages: TokenBucket;
  /** Speech text, one token per character. */
  readonly #textChars: TokenBucket;
  readonly #flow: FlowControl;
  readonly #afterSend = (err?: Error | null) => {
    if (err == null && !this.#closing) this.#flow.check();
  };
  readonly #closed: Promise<void>;
  #markClosed!: () => void;
  #keepalive: Keepalive | undefined;
  #terminateTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #tornDown = false;

  constructor(kind: string, id: string, socket: WebSocket, ctx: GatewayContext, log: FastifyBaseLogger) {
    this.#kind = kind;
    this.id = id;
    this.#socket = socket;
    this.ctx = ctx;
    this.log = log;
    const c = ctx.config;
    this.#messages = new TokenBucket(c.wsMessagesPerSecond, c.wsMessageBurst);
    this.#textChars = new TokenBucket(c.wsTextCharsPerSecond, c.wsTextCharBurst);
    this.#flow = new FlowControl(() => socket.bufferedAmount, {
      highWaterBytes: c.wsHighWaterBytes,
      hardLimitBytes: c.wsHardLimitBytes,
      graceMs: c.wsSlowReaderGraceMs,
      onPause: () => this.turns.pauseAll(),
      onResume: () => this.turns.resumeAll(),
      // No error frame: it would only queue behind the audio the client is not reading.
      onSlowReader: () => this.closeWith(1008, 'slow consumer'),
    });
    const sink: TurnSink = { json: (frame) => this.onTurnFrame(frame), audio: (meta, payload) => this.onTurnAudio(meta, payload) };
    this.turns = new TurnQueue(ctx, id, sink, log, (open) => this.#onTurnCount(open));
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
  }

  // -- what a protocol defines -------------------------------------------------------

  /**
   * One frame from the client, parsed but not yet applied. Throws what `recover` answers
   * (charged as a control message), or anything to close with 1011.
   */
  protected abstract parseFrame(data: RawData, isBinary: boolean): ParsedFrame;
  /** Answers a rejected frame (the session goes on) and returns true, or returns false for a bug. */
  protected abstract recover(err: unknown): boolean;
  /** The frame sent just before a close that has a reason to give (shutdown, internal error). */
  protected abstract closeFrame(notice: CloseNotice): object;
  /** A turn's JSON frame (tts_meta, error, tts_done...). */
  protected abstract onTurnFrame(frame: object): void;
  /** A turn's audio chunk, in the turn's format. */
  protected abstract onTurnAudio(meta: object, payload: Buffer): void;
  /** What a client over the message rate limit is told before the close; undefined: nothing. */
  protected rateLimitNotice(): CloseNotice | undefined {
    return undefined;
  }
  /** False once the client has said everything it will (Deepgram's Close). */
  protected acceptsFrames(): boolean {
    return true;
  }
  /** Every turn has ended: a draining session closes. */
  protected onTurnsIdle(): void {
    if (this.draining) this.shutdownClose();
  }
  /** Extra state to drop at teardown. */
  protected onTeardown(): void {}

  // -- the session's life --------------------------------------------------------------

  /** Wires the socket: frames, close, keepalive. The protocol greets the client after this. */
  protected wire(): void {
    const socket = this.#socket;
    socket.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    socket.once('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString()));
    this.#keepalive = new Keepalive(socket, {
      pingIntervalMs: this.ctx.config.wsPingIntervalMs,
      idleTimeoutMs: this.ctx.config.wsIdleTimeoutMs,
      busy: () => this.turns.openCount > 0,
      onDead: () => this.closeWith(1001, 'keepalive timeout', undefined, CLOSE_HANDSHAKE_MS),
      onIdle: () => this.closeWith(1000, 'idle timeout'),
    });
  }

  /** Resolves once the socket is closed and everything of the session released. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  busy(): boolean {
    return !this.#closing && this.turns.openCount > 0;
  }

  beginShutdown(): void {
    this.draining = true;
    if (this.turns.openCount === 0) this.shutdownClose();
  }

  forceClose(): Promise<void> {
    this.shutdownClose();
    return this.#closed;
  }

  protected shutdownClose(): void {
    this.closeWith(1001, 'shutting down', { code: 'shutting_down', message: 'the host is shutting down' }, CLOSE_HANDSHAKE_MS);
  }

  protected get socketOpen(): boolean {
    return this.#socket.readyState === this.#socket.OPEN;
  }

  protected sendJson(frame: object): void {
    if (!this.socketOpen) return;
    this.#socket.send(JSON.stringify(frame), this.#afterSend);
  }

  /** Audio frames, then a flow-control check: the caller sends every frame of one chunk at once. */
  protected sendBinary(frames: Iterable<Buffer>): void {
    if (!this.socketOpen) return;
    for (const frame of frames) this.#socket.send(frame, { binary: true }, this.#afterSend);
    this.#flow.check();
  }

  /** Close with a code, after an optional final frame; the peer gets `terminateAfterMs` to answer. */
  protected closeWith(code: number, reason: string, notice?: CloseNotice, terminateAfterMs?: number): void {
    if (this.#closing) return;
    if (notice !== undefined) this.sendJson(this.closeFrame(notice));
    this.#closing = true;
    this.log.info({ code, reason }, `${this.#kind} session closing`);
    this.#teardown();
    this.#socket.close(code, reason);
    if (terminateAfterMs !== undefined) this.#terminateTimer = setTimeout(() => this.#socket.terminate(), terminateAfterMs);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closing || !this.acceptsFrames()) return;
    let frame: ParsedFrame | undefined;
    let rejected: unknown;
    try {
      frame = this.parseFrame(data, isBinary);
    } catch (err) {
      rejected = err;
    }
    const chars = frame?.textChars;
    const admitted = chars === undefined ? this.#messages.take() : this.#textChars.take(Math.max(1, chars));
    if (!admitted) {
      this.closeWith(1008, 'rate limit exceeded', this.rateLimitNotice());
      return;
    }
    if (this.turns.openCount === 0) this.#keepalive?.restartIdle();
    try {
      if (frame === undefined) throw rejected;
      frame.apply();
    } catch (err) {
      if (this.recover(err)) return;
      this.log.error({ err }, `${this.#kind} message handler failed`);
      this.closeWith(1011, 'internal error', { code: 'internal', message: 'internal error' });
    }
  }

  #onTurnCount(open: number): void {
    if (open === 0) {
      this.#keepalive?.restartIdle();
      this.onTurnsIdle();
    }
    this.ctx.lifecycle.changed();
  }

  /** Every turn's count dropped to zero outside the queue's own accounting (a Clear). */
  protected turnsCleared(): void {
    this.#onTurnCount(0);
  }

  #onClose(code: number, reason: string): void {
    this.#closing = true;
    clearTimeout(this.#terminateTimer);
    this.#teardown();
    this.log.info({ code, reason }, `${this.#kind} session closed`);
    this.#markClosed();
  }

  #teardown(): void {
    if (this.#tornDown) return;
    this.#tornDown = true;
    this.#keepalive?.close();
    this.#flow.close();
    this.turns.cancelAll();
    this.onTeardown();
    this.ctx.pool.cancelOwner(this.id);
    this.ctx.lifecycle.changed();
  }
}
