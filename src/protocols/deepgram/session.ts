/**
 * One Deepgram Speak socket, adapted onto the native pipeline: the text between two
 * `Flush` messages is one turn of a TurnQueue (src/gateway/turn/), so chunking, ordered
 * delivery, flow control, keepalive, rate limit and shutdown draining are the same pieces
 * the native protocol uses (src/gateway/turn/, src/gateway/socket/).
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
 * A turn hands its audio on as float PCM at 24 kHz; this session resamples and encodes
 * each chunk (audio.ts). The sequence_id of `Flushed` counts the session's Flush
 * messages from 0, and that of `Cleared` its Clear messages.
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { ErrorCode } from '../../errors.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import { MAX_OPEN_TURNS, SocketSession, type CloseNotice, type ParsedFrame, type SocketProtocol } from '../../gateway/socket/connection.ts';
import { TurnQueue } from '../../gateway/turn/turn-queue.ts';
import type { Turn, TurnAudio, TurnChunkFailed, TurnDone, TurnEvents, VoiceSettings } from '../../gateway/turn/turn.ts';
import { encodeChunk, frames } from './audio.ts';
import { BadFrame, errorFrame, parseDeepgramFrame, warningFrame, type DeepgramMessage } from './messages.ts';
import type { DeepgramSettings } from './query.ts';
import { streamedMarkupProblem } from '../../pronunciation/check-markup.ts';

export const MODEL_VERSION = 'kokoro-82m-v1.0';

/** A stable UUID (version-5 layout) naming the voice, for Metadata's model_uuid. */
export function modelUuid(voice: string): string {
  const h = createHash('sha256').update(`${MODEL_VERSION}/${voice}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Deepgram renders every chunk the same way (the session's encoding): nothing per chunk. */
type Render = undefined;

export class DeepgramSession implements SocketProtocol, TurnEvents<Render> {
  readonly kind = 'deepgram';
  readonly socket: SocketSession;
  readonly #ctx: GatewayContext;
  readonly #log: FastifyBaseLogger;
  readonly #settings: DeepgramSettings;
  readonly #voice: VoiceSettings;
  readonly #turns: TurnQueue<Render>;
  /** Turn id -> the Flush sequence ids its end answers (always a contiguous range). */
  readonly #acks = new Map<string, { first: number; last: number }>();
  #flushes = 0;
  #clears = 0;
  #closeRequested = false;

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, settings: DeepgramSettings, log: FastifyBaseLogger) {
    this.#ctx = ctx;
    this.#log = log;
    this.#settings = settings;
    this.#voice = { voice: settings.voice, speed: settings.speed };
    this.socket = new SocketSession(id, socket, ctx, log, this);
    this.#turns = new TurnQueue<Render>(ctx, id, this, log, (open) => this.socket.turnsChanged(open));
  }

  /** Wire the socket and send Metadata. */
  start(): void {
    this.socket.wire();
    const { model, voice, encoding, sampleRate, speed } = this.#settings;
    this.socket.sendJson({ type: 'Metadata', request_id: this.socket.id, model_name: model, model_version: MODEL_VERSION, model_uuid: modelUuid(voice) });
    this.#log.info({ model, voice, encoding, sampleRate, speed }, 'deepgram session opened');
  }

  // -- SocketProtocol ----------------------------------------------------------------

  get openTurns(): number {
    return this.#turns.openCount;
  }

  parseFrame(data: RawData, isBinary: boolean): ParsedFrame {
    if (isBinary) throw new BadFrame('binary frames are not accepted; send JSON text frames');
    const msg = parseDeepgramFrame(data.toString());
    return { textChars: msg.type === 'Speak' ? msg.text.length : undefined, apply: () => this.#handle(msg) };
  }

  recover(err: unknown): boolean {
    if (!(err instanceof BadFrame)) return false;
    this.#warn(err.code, err.message);
    return true;
  }

  closeFrame(notice: CloseNotice): object {
    return errorFrame(notice.code, notice.message);
  }

  rateLimitNotice(): CloseNotice {
    return { code: 'rate_limited', message: 'too many messages; see KOKORO_WS_MESSAGES_PER_SECOND and KOKORO_WS_TEXT_CHARS_PER_SECOND' };
  }

  /** After Close the client has said everything; what is left is playing out. */
  acceptsFrames(): boolean {
    return !this.#closeRequested;
  }

  turnsIdle(): boolean {
    if (!this.#closeRequested) return false;
    this.socket.closeWith(1000, 'Close');
    return true;
  }

  pauseTurns(): void {
    this.#turns.pauseAll();
  }

  resumeTurns(): void {
    this.#turns.resumeAll();
  }

  teardown(): void {
    this.#turns.cancelAll();
    this.#acks.clear();
  }

  // -- TurnEvents: a turn rendered as Deepgram frames ------------------------------------

  /** Resampled and encoded here, in Deepgram-sized frames. */
  audio(_turn: Turn<Render>, a: TurnAudio<Render>): void {
    if (!this.socket.open) return;
    const { encoding, sampleRate } = this.#settings;
    this.socket.sendBinary(frames(encodeChunk(a.pcm, encoding, sampleRate)));
  }

  chunkFailed(_turn: Turn<Render>, f: TurnChunkFailed): void {
    this.#warn(f.code, f.message);
  }

  done(turn: Turn<Render>, d: TurnDone): void {
    if (d.allFailed) this.#warn('tts_all_failed', 'every chunk of the turn failed');
    const range = this.#acks.get(turn.id);
    if (range === undefined) return;
    this.#acks.delete(turn.id);
    for (let seq = range.first; seq <= range.last; seq++) this.socket.sendJson({ type: 'Flushed', sequence_id: seq });
  }

  // -- messages -------------------------------------------------------------------------

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
    const badTag = streamedMarkupProblem(text);
    if (badTag !== null) {
      this.#warn('invalid_markup', `${badTag}; this Speak was dropped`);
      return;
    }
    if (this.#ctx.pool.health().queueDepth >= this.#ctx.config.maxQueue) {
      this.#warn('overloaded', 'the synthesis queue is full; this Speak was dropped');
      return;
    }
    (turn ?? this.#turns.open(undefined, this.#voice)).append(text, undefined);
  }

  #mayOpenTurn(): boolean {
    if (this.socket.draining) {
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
      this.#turns.flush(found.turn, undefined);
      return;
    }
    const newest = this.#turns.list().at(-1);
    if (newest !== undefined) this.#ack(newest.id, seq);
    else this.socket.sendJson({ type: 'Flushed', sequence_id: seq });
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
    this.socket.sendJson({ type: 'Cleared', sequence_id: seq });
    this.socket.turnsChanged(0);
  }

  #requestClose(): void {
    this.#closeRequested = true;
    const found = this.#turns.lookup(undefined);
    if (found.kind === 'open') this.#turns.flush(found.turn, undefined);
    if (this.#turns.openCount === 0) this.socket.closeWith(1000, 'Close');
  }

  #warn(code: ErrorCode, description: string): void {
    this.socket.sendJson(warningFrame(code, description));
  }
}
