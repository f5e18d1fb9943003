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
import type { GatewayContext } from '../../gateway/context.ts';
import { encodeChunk, float32, frames } from './audio.ts';
import { BadFrame, errorFrame, parseDeepgramFrame, warningFrame, type DeepgramMessage } from './messages.ts';
import type { DeepgramSettings } from './query.ts';
import { MAX_OPEN_TURNS, WsConnection, type CloseNotice, type ParsedFrame } from '../../gateway/socket/connection.ts';
import type { Settings } from '../../gateway/turn/turn.ts';

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

export class DeepgramSession extends WsConnection {
  readonly #settings: DeepgramSettings;
  readonly #turnSettings: Settings;
  /** Turn id -> the Flush sequence ids its end answers (always a contiguous range). */
  readonly #acks = new Map<string, { first: number; last: number }>();
  #flushes = 0;
  #clears = 0;
  #closeRequested = false;

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, settings: DeepgramSettings, log: FastifyBaseLogger) {
    super('deepgram', id, socket, ctx, log);
    this.#settings = settings;
    this.#turnSettings = { voice: settings.voice, speed: settings.speed, format: 'f32le' };
  }

  /** Wire the socket and send Metadata. */
  start(): void {
    this.wire();
    const { model, voice, encoding, sampleRate, speed } = this.#settings;
    this.sendJson({ type: 'Metadata', request_id: this.id, model_name: model, model_version: MODEL_VERSION, model_uuid: modelUuid(voice) });
    this.log.info({ model, voice, encoding, sampleRate, speed }, 'deepgram session opened');
  }

  protected parseFrame(data: RawData, isBinary: boolean): ParsedFrame {
    if (isBinary) throw new BadFrame('binary frames are not accepted; send JSON text frames');
    const msg = parseDeepgramFrame(data.toString());
    return { textChars: msg.type === 'Speak' ? msg.text.length : undefined, apply: () => this.#handle(msg) };
  }

  protected recover(err: unknown): boolean {
    if (!(err instanceof BadFrame)) return false;
    this.#warn(err.code, err.message);
    return true;
  }

  protected closeFrame(notice: CloseNotice): object {
    return errorFrame(notice.code, notice.message);
  }

  protected rateLimitNotice(): CloseNotice {
    return { code: 'rate_limited', message: 'too many messages; see KOKORO_WS_MESSAGES_PER_SECOND and KOKORO_WS_TEXT_CHARS_PER_SECOND' };
  }

  /** After Close the client has said everything; what is left is playing out. */
  protected acceptsFrames(): boolean {
    return !this.#closeRequested;
  }

  protected onTurnsIdle(): void {
    if (this.#closeRequested) this.closeWith(1000, 'Close');
    else super.onTurnsIdle();
  }

  protected onTeardown(): void {
    this.#acks.clear();
  }

  protected onTurnFrame(frame: object): void {
    const f = frame as TurnFrame;
    if (f.type === 'tts_done') {
      const range = f.turn_id === undefined ? undefined : this.#acks.get(f.turn_id);
      if (range === undefined) return;
      this.#acks.delete(f.turn_id!);
      for (let seq = range.first; seq <= range.last; seq++) this.sendJson({ type: 'Flushed', sequence_id: seq });
      return;
    }
    if (f.type === 'error') this.#warn(f.code ?? 'tts_chunk_failed', f.message ?? 'a chunk failed and was skipped');
  }

  /** Turns deliver f32le at 24 kHz: resampled and encoded here, in Deepgram-sized frames. */
  protected onTurnAudio(_meta: object, payload: Buffer): void {
    if (!this.socketOpen) return;
    const { encoding, sampleRate } = this.#settings;
    this.sendBinary(frames(encodeChunk(float32(payload), encoding, sampleRate)));
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
    const found = this.turns.lookup(undefined);
    const turn = found.kind === 'open' ? found.turn : undefined;
    if (turn === undefined && !this.#mayOpenTurn()) return;
    const limit = this.ctx.config.maxTurnChars;
    if ((turn?.chars ?? 0) + text.length > limit) {
      this.#warn('text_too_long', `the text between two Flush messages holds at most ${limit} characters; this Speak was dropped`);
      return;
    }
    if (this.ctx.pool.health().queueDepth >= this.ctx.config.maxQueue) {
      this.#warn('overloaded', 'the synthesis queue is full; this Speak was dropped');
      return;
    }
    (turn ?? this.turns.open(undefined, this.#turnSettings)).append(text, 'f32le');
  }

  #mayOpenTurn(): boolean {
    if (this.draining) {
      this.#warn('shutting_down', 'the host is shutting down and takes no new text');
      return false;
    }
    if (this.turns.openCount >= MAX_OPEN_TURNS) {
      this.#warn('overloaded', `at most ${MAX_OPEN_TURNS} flushed texts may wait for their audio; this Speak was dropped`);
      return false;
    }
    return true;
  }

  #flush(): void {
    const seq = this.#flushes++;
    const found = this.turns.lookup(undefined);
    if (found.kind === 'open') {
      // Registered first: a turn whose chunks are all done completes inside flush().
      this.#ack(found.turn.id, seq);
      this.turns.flushed(found.turn);
      found.turn.flush('f32le');
      return;
    }
    const newest = this.turns.list().at(-1);
    if (newest !== undefined) this.#ack(newest.id, seq);
    else this.sendJson({ type: 'Flushed', sequence_id: seq });
  }

  #ack(turnId: string, seq: number): void {
    const range = this.#acks.get(turnId);
    if (range === undefined) this.#acks.set(turnId, { first: seq, last: seq });
    else range.last = seq;
  }

  #clear(): void {
    const seq = this.#clears++;
    this.turns.cancelAll();
    this.#acks.clear();
    this.sendJson({ type: 'Cleared', sequence_id: seq });
    this.turnsCleared();
  }

  #requestClose(): void {
    this.#closeRequested = true;
    const found = this.turns.lookup(undefined);
    if (found.kind === 'open') {
      this.turns.flushed(found.turn);
      found.turn.flush('f32le');
    }
    if (this.turns.openCount === 0) this.closeWith(1000, 'Close');
  }

  #warn(code: string, description: string): void {
    this.sendJson(warningFrame(code, description));
  }
}
