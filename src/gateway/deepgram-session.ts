/**
 * One Deepgram Speak socket, adapted onto the native pipeline: the text between two
 * `Flush` messages is one turn of a TurnQueue (ws-turns.ts), so chunking, ordered
 * delivery, flow control, keepalive, rate limit and shutdown draining are the native
 * protocol's own pieces.
 *
 *   Speak  -> text appended to the open turn (a new one if none); complete phrases are
 *             synthesized at once, before any Flush
 *   Flush  -> the open turn is flushed; `Flushed` follows its last audio. A Flush with no
 *             open turn rides on the newest unfinished turn, or is answered at once
 *   Clear  -> every turn cancelled, then `Cleared`: no audio of earlier text follows it,
 *             and Flushes not yet answered never are (Cleared answers them)
 *   Close  -> the open turn is flushed, and once every turn has played out the socket
 *             closes with 1000 (any other code makes the JS SDK reconnect)
 *
 * Turns deliver through the sink in f32le at 24 kHz; this session resamples and encodes
 * each chunk (deepgram-audio.ts). The sequence_id of `Flushed` counts the session's Flush
 * messages from 0, and that of `Cleared` its Clear messages.
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { GatewayContext } from './context.ts';
import { encodeChunk, float32, frames } from './deepgram-audio.ts';
import { BadFrame, errorFrame, parseDeepgramFrame, warningFrame, type DeepgramMessage } from './deepgram-messages.ts';
import type { DeepgramSettings } from './deepgram-query.ts';
import type { Drainable } from './lifecycle.ts';
import { TokenBucket } from './rate-limit.ts';
import { FlowControl } from './ws-flow.ts';
import { Keepalive } from './ws-keepalive.ts';
import { MAX_OPEN_TURNS } from './ws-session.ts';
import type { Settings } from './ws-turn.ts';
import { TurnQueue } from './ws-turns.ts';

/** How long a peer gets to answer our close frame before its socket is destroyed. */
const CLOSE_HANDSHAKE_MS = 1000;
export const MODEL_VERSION = 'kokoro-82m-v1.0';

/** The frames a Turn hands its sink besides audio. */
interface TurnFrame {
  type: string;
  turn_id?: string;
  code?: string;
  message?: string;
}

/** A stable UUID (version-5 layout) naming the voice, for Metadata's model_uuid. */
export function modelUuid(voice: string): string {
  const h = createHash('sha256').update(`${MODEL_VERSION}/${voice}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export class DeepgramSession implements Drainable {
  readonly id: string;
  readonly #socket: WebSocket;
  readonly #ctx: GatewayContext;
  readonly #log: FastifyBaseLogger;
  readonly #settings: DeepgramSettings;
  readonly #turnSettings: Settings;
  readonly #turns: TurnQueue;
  readonly #bucket: TokenBucket;
  readonly #flow: FlowControl;
  /** Turn id -> the Flush sequence ids its end answers (always a contiguous range). */
  readonly #acks = new Map<string, { first: number; last: number }>();
  readonly #afterSend = (err?: Error | null) => {
    if (err == null && !this.#closing) this.#flow.check();
  };
  readonly #closed: Promise<void>;
  #markClosed!: () => void;
  #keepalive: Keepalive | undefined;
  #terminateTimer: NodeJS.Timeout | undefined;
  #flushes = 0;
  #clears = 0;
  #closeRequested = false;
  #closing = false;
  #draining = false;
  #tornDown = false;

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, settings: DeepgramSettings, log: FastifyBaseLogger) {
    this.id = id;
    this.#socket = socket;
    this.#ctx = ctx;
    this.#log = log;
    this.#settings = settings;
    this.#turnSettings = { voice: settings.voice, speed: settings.speed, format: 'f32le' };
    const c = ctx.config;
    this.#bucket = new TokenBucket(c.wsMessagesPerSecond, c.wsMessageBurst);
    this.#flow = new FlowControl(() => socket.bufferedAmount, {
      highWaterBytes: c.wsHighWaterBytes,
      hardLimitBytes: c.wsHardLimitBytes,
      graceMs: c.wsSlowReaderGraceMs,
      onPause: () => this.#turns.pauseAll(),
      onResume: () => this.#turns.resumeAll(),
      // No Error frame: it would only queue behind the audio the client is not reading.
      onSlowReader: () => this.#closeWith(1008, 'slow consumer'),
    });
    const sink = { json: (frame: object) => this.#onTurnFrame(frame as TurnFrame), audio: (_meta: object, payload: Buffer) => this.#sendAudio(payload) };
    this.#turns = new TurnQueue(ctx, id, sink, log, (open) => this.#onTurnCount(open));
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
  }

  /** Wire the socket and send Metadata. */
  start(): void {
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
    const { model, voice, encoding, sampleRate, speed } = this.#settings;
    this.#send({ type: 'Metadata', request_id: this.id, model_name: model, model_version: MODEL_VERSION, model_uuid: modelUuid(voice) });
    this.#log.info({ model, voice, encoding, sampleRate, speed }, 'deepgram session opened');
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
    // After Close the client has said everything; what is left is playing out.
    if (this.#closing || this.#closeRequested) return;
    if (!this.#bucket.take()) {
      this.#closeWith(1008, 'rate limit exceeded', { code: 'rate_limited', message: 'too many messages; see KOKORO_WS_MESSAGES_PER_SECOND' });
      return;
    }
    if (this.#turns.openCount === 0) this.#keepalive?.restartIdle();
    try {
      if (isBinary) throw new BadFrame('binary frames are not accepted; send JSON text frames');
      this.#handle(parseDeepgramFrame(data.toString()));
    } catch (err) {
      if (err instanceof BadFrame) {
        this.#warn(err.code, err.message);
        return;
      }
      this.#log.error({ err }, 'deepgram message handler failed');
      this.#closeWith(1011, 'internal error', { code: 'internal', message: 'internal error' });
    }
  }

  #handle(msg: DeepgramMessage): void {
    switch (msg.type) {
      case 'Speak':
        this.#speak(msg.text);
        return;
      case 'Flush':
        this.#flush();
        return;
      case 'Clear':
        this.#clear();
        return;
      case 'Close':
        this.#requestClose();
        return;
    }
  }

  #speak(text: string): void {
    if (text.length === 0) return;
    const found = this.#turns.lookup(undefined);
    const turn = found.kind === 'open' ? found.turn : undefined;
    if (turn === undefined && !this.#mayOpenTurn()) return;
    const limit = this.#ctx.config.maxTurnChars;
    if ((turn?.chars ?? 0) + text.length > limit) {
      this.#warn('text_too_long', `the text between two Flush messages holds at most ${limit} characters; this Speak was dropped`);
      return;
    }
    if (this.#ctx.pool.health().queueDepth >= this.#ctx.config.maxQueue) {
      this.#warn('overloaded', 'the synthesis queue is full; this Speak was dropped');
      return;
    }
    (turn ?? this.#turns.open(undefined, this.#turnSettings)).append(text, 'f32le');
  }

  #mayOpenTurn(): boolean {
    if (this.#draining) {
      this.#warn('shutting_down', 'the host is shutting down and takes no new text');
      return false;
    }
    if (this.#turns.openCount >= MAX_OPEN_TURNS) {
      this.#warn('overloaded', `at most ${MAX_OPEN_TURNS} flushed texts may wait for their audio; this Speak was dropped`);
      return false;
    }
    return true;
  }

  #flush(): void {
    const seq = this.#flushes++;
    const found = this.#turns.lookup(undefined);
    if (found.kind === 'open') {
      // Registered first: a turn whose chunks are all done completes inside flush().
      this.#ack(found.turn.id, seq);
      this.#turns.flushed(found.turn);
      found.turn.flush('f32le');
      return;
    }
    const newest = this.#turns.list().at(-1);
    if (newest !== undefined) this.#ack(newest.id, seq);
    else this.#send({ type: 'Flushed', sequence_id: seq });
  }

  #ack(turnId: string, seq: number): void {
    const range = this.#acks.get(turnId);
    if (range === undefined) this.#acks.set(turnId, { first: seq, last: seq });
    else range.last = seq;
  }

  #clear(): void {
    const seq = this.#clears++;
    this.#turns.cancelAll();
    this.#acks.clear();
    this.#send({ type: 'Cleared', sequence_id: seq });
    this.#onTurnCount(0);
  }

  #requestClose(): void {
    this.#closeRequested = true;
    const found = this.#turns.lookup(undefined);
    if (found.kind === 'open') {
      this.#turns.flushed(found.turn);
      found.turn.flush('f32le');
    }
    if (this.#turns.openCount === 0) this.#closeWith(1000, 'Close');
  }

  #onTurnFrame(frame: TurnFrame): void {
    if (frame.type === 'tts_done') {
      const range = frame.turn_id === undefined ? undefined : this.#acks.get(frame.turn_id);
      if (range === undefined) return;
      this.#acks.delete(frame.turn_id!);
      for (let seq = range.first; seq <= range.last; seq++) this.#send({ type: 'Flushed', sequence_id: seq });
      return;
    }
    if (frame.type === 'error') this.#warn(frame.code ?? 'tts_chunk_failed', frame.message ?? 'a chunk failed and was skipped');
  }

  #onTurnCount(open: number): void {
    if (open === 0) {
      this.#keepalive?.restartIdle();
      if (this.#closeRequested) this.#closeWith(1000, 'Close');
      else if (this.#draining) this.#shutdownClose();
    }
    this.#ctx.lifecycle.changed();
  }

  #warn(code: string, description: string): void {
    this.#send(warningFrame(code, description));
  }

  #send(frame: object): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.send(JSON.stringify(frame), this.#afterSend);
  }

  #sendAudio(payload: Buffer): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    const { encoding, sampleRate } = this.#settings;
    for (const frame of frames(encodeChunk(float32(payload), encoding, sampleRate))) {
      this.#socket.send(frame, { binary: true }, this.#afterSend);
    }
    this.#flow.check();
  }

  /** Close with a code, after an optional Error frame; the peer gets `terminateAfterMs` to answer. */
  #closeWith(code: number, reason: string, error?: { code: string; message: string }, terminateAfterMs?: number): void {
    if (this.#closing) return;
    if (error !== undefined) this.#send(errorFrame(error.code, error.message));
    this.#closing = true;
    this.#log.info({ code, reason }, 'deepgram session closing');
    this.#teardown();
    this.#socket.close(code, reason);
    if (terminateAfterMs !== undefined) this.#terminateTimer = setTimeout(() => this.#socket.terminate(), terminateAfterMs);
  }

  #onClose(code: number, reason: string): void {
    this.#closing = true;
    clearTimeout(this.#terminateTimer);
    this.#teardown();
    this.#log.info({ code, reason }, 'deepgram session closed');
    this.#markClosed();
  }

  #teardown(): void {
    if (this.#tornDown) return;
    this.#tornDown = true;
    this.#keepalive?.close();
    this.#flow.close();
    this.#turns.cancelAll();
    this.#acks.clear();
    this.#ctx.pool.cancelOwner(this.id);
    this.#ctx.lifecycle.changed();
  }
}
