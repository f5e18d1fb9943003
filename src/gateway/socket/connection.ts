/**
 * What every WebSocket session of this host does with its socket, whatever protocol it
 * speaks (the native ws-v1 protocol, Deepgram's Speak): rate limits, keepalive and idle
 * timeout, flow control towards a slow reader, the shutdown drain, a close handshake with
 * a bound, and one teardown that every way out goes through (client close, abrupt
 * disconnect, keepalive loss, slow reader, rate limit, shutdown): the protocol drops its
 * turns, the session's queued pool work is cancelled, every timer cleared.
 *
 * A protocol session owns one SocketSession and hands it a SocketProtocol: how a text
 * frame is parsed and applied, what a rejected one is answered with, what its final error
 * frame looks like, and its turns' count and flow. The socket knows no frame and no turn.
 *
 * Two rate limits, both token buckets: text for the speech (ws-v1 `text`/`speak`,
 * Deepgram `Speak`) is charged by its characters, so an LLM streaming one token per
 * message is never cut off; every other frame (control messages, and frames that do not
 * parse) is charged one message. Each frame is parsed, charged, and only then applied.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { ErrorCode } from '../../errors.ts';
import type { GatewayContext } from '../context.ts';
import type { AdmittedSession } from './admission.ts';
import { FlowControl } from './flow.ts';
import { Keepalive } from './keepalive.ts';
import { TokenBucket } from './rate-limit.ts';

/** How long a peer gets to answer our close frame before its socket is destroyed. */
const CLOSE_HANDSHAKE_MS = 1000;
/** Open turns per session; each holds at most a pipeline's look-ahead of audio. */
export const MAX_OPEN_TURNS = 32;

export interface CloseNotice {
  code: ErrorCode;
  message: string;
}

/** A client frame, parsed: what it costs, and what it does once admitted. */
export interface ParsedFrame {
  /** Characters of speech text it carries; undefined for a control message. */
  textChars?: number | undefined;
  apply(): void;
}

/** What a protocol tells the socket it runs on. */
export interface SocketProtocol {
  /** Names the protocol in log lines ('ws session closing'). */
  readonly kind: string;
  /** Turns not yet ended: the session is busy (no idle timeout, the drain waits). */
  readonly openTurns: number;
  /**
   * One frame from the client, parsed but not yet applied. Throws what `recover` answers
   * (charged as a control message), or anything to close with 1011.
   */
  parseFrame(data: RawData, isBinary: boolean): ParsedFrame;
  /** Answers a rejected frame (the session goes on) and returns true, or returns false for a bug. */
  recover(err: unknown): boolean;
  /** The frame sent just before a close that has a reason to give (shutdown, internal error). */
  closeFrame(notice: CloseNotice): object;
  /** What a client over the message rate limit is told before the close; undefined: nothing. */
  rateLimitNotice?(): CloseNotice | undefined;
  /** False once the client has said everything it will (Deepgram's Close). */
  acceptsFrames?(): boolean;
  /** Every turn has ended; returns true when the protocol closed the socket itself. */
  turnsIdle?(): boolean;
  /** The reader is slow: stop dispatching synthesis / start again. */
  pauseTurns(): void;
  resumeTurns(): void;
  /** The session is ending: cancel every turn without telling anyone, drop protocol state. */
  teardown(): void;
}

export class SocketSession implements AdmittedSession {
  readonly id: string;
  readonly #ctx: GatewayContext;
  readonly #log: FastifyBaseLogger;
  readonly #protocol: SocketProtocol;
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
  #draining = false;

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, log: FastifyBaseLogger, protocol: SocketProtocol) {
    this.id = id;
    this.#socket = socket;
    this.#ctx = ctx;
    this.#log = log;
    this.#protocol = protocol;
    const c = ctx.config;
    this.#messages = new TokenBucket(c.wsMessagesPerSecond, c.wsMessageBurst);
    this.#textChars = new TokenBucket(c.wsTextCharsPerSecond, c.wsTextCharBurst);
    this.#flow = new FlowControl(() => socket.bufferedAmount, {
      highWaterBytes: c.wsHighWaterBytes,
      hardLimitBytes: c.wsHardLimitBytes,
      graceMs: c.wsSlowReaderGraceMs,
      onPause: () => protocol.pauseTurns(),
      onResume: () => protocol.resumeTurns(),
      // No error frame: it would only queue behind the audio the client is not reading.
      onSlowReader: () => this.closeWith(1008, 'slow consumer'),
    });
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
  }

  /** Wires the socket: frames, close, keepalive. The protocol greets the client after this. */
  wire(): void {
    const socket = this.#socket;
    socket.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    socket.once('close', (code: number, reason: Buffer) => this.#onClose(code, reason.toString()));
    this.#keepalive = new Keepalive(socket, {
      pingIntervalMs: this.#ctx.config.wsPingIntervalMs,
      idleTimeoutMs: this.#ctx.config.wsIdleTimeoutMs,
      busy: () => this.#protocol.openTurns > 0,
      onDead: () => this.closeWith(1001, 'keepalive timeout', undefined, CLOSE_HANDSHAKE_MS),
      onIdle: () => this.closeWith(1000, 'idle timeout'),
    });
  }

  /** Resolves once the socket is closed and everything of the session released. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Shutdown has begun: finish the open turns, open no new one. */
  get draining(): boolean {
    return this.#draining;
  }

  get open(): boolean {
    return this.#socket.readyState === this.#socket.OPEN;
  }

  busy(): boolean {
    return !this.#closing && this.#protocol.openTurns > 0;
  }

  beginShutdown(): void {
    this.#draining = true;
    if (this.#protocol.openTurns === 0) this.#shutdownClose();
  }

  forceClose(): Promise<void> {
    this.#shutdownClose();
    return this.#closed;
  }

  /** The protocol's turn count changed (from its TurnQueue, or a Clear that dropped them all). */
  turnsChanged(open: number): void {
    if (open === 0) {
      this.#keepalive?.restartIdle();
      if (this.#protocol.turnsIdle?.() !== true && this.#draining) this.#shutdownClose();
    }
    this.#ctx.lifecycle.changed();
  }

  sendJson(frame: object): void {
    if (!this.open) return;
    this.#socket.send(JSON.stringify(frame), this.#afterSend);
  }

  /** Audio frames, then a flow-control check: the caller sends every frame of one chunk at once. */
  sendBinary(frames: Iterable<Buffer>): void {
    if (!this.open) return;
    for (const frame of frames) this.#socket.send(frame, { binary: true }, this.#afterSend);
    this.#flow.check();
  }

  /** Close with a code, after an optional final frame; the peer gets `terminateAfterMs` to answer. */
  closeWith(code: number, reason: string, notice?: CloseNotice, terminateAfterMs?: number): void {
    if (this.#closing) return;
    if (notice !== undefined) this.sendJson(this.#protocol.closeFrame(notice));
    this.#closing = true;
    this.#log.info({ code, reason }, `${this.#protocol.kind} session closing`);
    this.#teardown();
    this.#socket.close(code, reason);
    if (terminateAfterMs !== undefined) this.#terminateTimer = setTimeout(() => this.#socket.terminate(), terminateAfterMs);
  }

  #shutdownClose(): void {
    this.closeWith(1001, 'shutting down', { code: 'shutting_down', message: 'the host is shutting down' }, CLOSE_HANDSHAKE_MS);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    const protocol = this.#protocol;
    if (this.#closing || protocol.acceptsFrames?.() === false) return;
    let frame: ParsedFrame | undefined;
    let rejected: unknown;
    try {
      frame = protocol.parseFrame(data, isBinary);
    } catch (err) {
      rejected = err;
    }
    const chars = frame?.textChars;
    const admitted = chars === undefined ? this.#messages.take() : this.#textChars.take(Math.max(1, chars));
    if (!admitted) {
      this.closeWith(1008, 'rate limit exceeded', protocol.rateLimitNotice?.());
      return;
    }
    if (protocol.openTurns === 0) this.#keepalive?.restartIdle();
    try {
      if (frame === undefined) throw rejected;
      frame.apply();
    } catch (err) {
      if (protocol.recover(err)) return;
      this.#log.error({ err }, `${protocol.kind} message handler failed`);
      this.closeWith(1011, 'internal error', { code: 'internal', message: 'internal error' });
    }
  }

  #onClose(code: number, reason: string): void {
    this.#closing = true;
    clearTimeout(this.#terminateTimer);
    this.#teardown();
    this.#log.info({ code, reason }, `${this.#protocol.kind} session closed`);
    this.#markClosed();
  }

  #teardown(): void {
    if (this.#tornDown) return;
    this.#tornDown = true;
    this.#keepalive?.close();
    this.#flow.close();
    this.#protocol.teardown();
    this.#ctx.pool.cancelOwner(this.id);
    this.#ctx.lifecycle.changed();
  }
}
