/**
 * One Cartesia TTS socket (/tts/websocket), rendered from the host's turns
 * (src/gateway/turn/): each `context_id` is a chain of turns (TurnContexts).
 *
 *   transcript, continue: true   -> appended to the context (complete phrases synthesized at once)
 *   flush: true                  -> the context's buffered text is spoken now; `flush_done`
 *                                   (flush_id 1, 2... per context) follows its last audio
 *   continue: false (the default)-> the rest is spoken, then `done`
 *   {context_id, cancel: true}   -> every turn of the context is dropped; nothing more is
 *                                   sent for it (a cancel of a finished or unknown context
 *                                   is a normal race and is ignored)
 *
 * Audio goes out as `chunk` messages in the context's output_format (fixed by its first
 * request, as Cartesia requires); with add_timestamps, a `timestamps` message after each
 * chunk whose words the host could time. A refused message gets Cartesia's `error` for
 * its context and the socket goes on, as Cartesia's does.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { ErrorCode } from '../../errors.ts';
import { encodeRaw, pieces, type RawEncoding } from '../../common/raw-pcm.ts';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from '../../gateway/context.ts';
import { MAX_OPEN_TURNS, SocketSession, type CloseNotice, type ParsedFrame, type SocketProtocol } from '../../gateway/socket/connection.ts';
import { TurnContexts, type TurnContext } from '../../gateway/turn/turn-contexts.ts';
import type { Turn, TurnAudio, TurnChunkFailed, TurnDone, TurnEvents } from '../../gateway/turn/turn.ts';
import { chunkFrame, doneFrame, errorFrame, flushDoneFrame, timestampsFrame } from './frames.ts';
import { BadRequest, parseCartesiaRequest, type CartesiaRequest, type Generation } from './request.ts';

/** Bytes of audio per chunk message: small frames, as Cartesia streams them. */
const MAX_CHUNK_BYTES = 32 * 1024;

type Render = undefined;

interface ContextOutput {
  encoding: RawEncoding;
  sampleRate: number;
  addTimestamps: boolean;
  flushes: number;
}

export class CartesiaSession implements SocketProtocol, TurnEvents<Render> {
  readonly kind = 'cartesia';
  readonly socket: SocketSession;
  readonly #ctx: GatewayContext;
  readonly #log: FastifyBaseLogger;
  readonly #contexts: TurnContexts<Render>;
  readonly #outputs = new Map<string, ContextOutput>();
  /** Turn id -> the flush_ids its end answers. */
  readonly #acks = new Map<string, number[]>();

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, log: FastifyBaseLogger) {
    this.#ctx = ctx;
    this.#log = log;
    this.socket = new SocketSession(id, socket, ctx, log, this);
    this.#contexts = new TurnContexts<Render>(ctx, id, this, log, (open) => this.socket.turnsChanged(open));
  }

  start(): void {
    this.socket.wire();
    this.#log.info('cartesia session opened');
  }

  // -- SocketProtocol ----------------------------------------------------------------

  get openTurns(): number {
    return this.#contexts.openTurns;
  }

  parseFrame(data: RawData, isBinary: boolean): ParsedFrame {
    if (isBinary) throw new BadRequest('bad_message', 'binary frames are not accepted; send JSON text frames', undefined);
    const req = parseCartesiaRequest(data.toString());
    return { textChars: req.kind === 'generate' && req.transcript.length > 0 ? req.transcript.length : undefined, apply: () => this.#handle(req) };
  }

  recover(err: unknown): boolean {
    if (!(err instanceof BadRequest)) return false;
    this.socket.sendJson(errorFrame(err.contextId, err.code, err.message));
    return true;
  }

  closeFrame(notice: CloseNotice): object {
    return errorFrame(undefined, notice.code, notice.message);
  }

  rateLimitNotice(): CloseNotice {
    return { code: 'rate_limited', message: 'too many messages; see KOKORO_WS_MESSAGES_PER_SECOND and KOKORO_WS_TEXT_CHARS_PER_SECOND' };
  }

  pauseTurns(): void {
    this.#contexts.pauseAll();
  }

  resumeTurns(): void {
    this.#contexts.resumeAll();
  }

  teardown(): void {
    this.#contexts.cancelAll();
    this.#outputs.clear();
    this.#acks.clear();
  }

  // -- TurnEvents ----------------------------------------------------------------------

  audio(turn: Turn<Render>, a: TurnAudio<Render>): void {
    const ctx = this.#contexts.of(turn);
    const out = ctx === undefined ? undefined : this.#outputs.get(ctx.id);
    if (ctx === undefined || out === undefined) return;
    const bytes = encodeRaw(a.pcm, OUTPUT_SAMPLE_RATE, out.sampleRate, out.encoding);
    for (const part of pieces(bytes, MAX_CHUNK_BYTES)) this.socket.sendJson(chunkFrame(ctx.id, part, Math.round(a.synthMs)));
    if (out.addTimestamps && a.words !== undefined && a.words.length > 0) {
      this.socket.sendJson(timestampsFrame(ctx.id, a.words, ctx.audioMs + a.offsetMs));
    }
  }

  chunkFailed(turn: Turn<Render>, f: TurnChunkFailed): void {
    const ctx = this.#contexts.of(turn);
    if (ctx !== undefined) this.#log.warn({ contextId: ctx.id, index: f.index, code: f.code }, 'cartesia chunk skipped');
  }

  done(turn: Turn<Render>, d: TurnDone): void {
    const ended = this.#contexts.turnDone(turn, d.audioMs);
    const flushIds = this.#acks.get(turn.id) ?? [];
    this.#acks.delete(turn.id);
    if (ended === undefined) return;
    const { ctx, finished } = ended;
    if (d.allFailed) this.socket.sendJson(errorFrame(ctx.id, 'tts_all_failed', 'every chunk of the generation failed'));
    for (const id of flushIds) this.socket.sendJson(flushDoneFrame(ctx.id, id));
    if (finished) this.#finish(ctx.id);
  }

  // -- messages -------------------------------------------------------------------------

  #handle(req: CartesiaRequest): void {
    if (req.kind === 'cancel') {
      const ctx = this.#contexts.get(req.contextId);
      if (ctx === undefined) return;
      for (const turn of ctx.pending) this.#acks.delete(turn.id);
      this.#contexts.cancel(ctx);
      this.#outputs.delete(ctx.id);
      return;
    }
    const id = req.contextId ?? randomUUID();
    const ctx = this.#contexts.get(id) ?? this.#open(id, req);
    if (ctx === undefined) return;
    if (ctx.ending) {
      this.#refuse(id, 'bad_message', `context "${id.slice(0, 100)}" has ended (continue: false); use a new context_id`);
      return;
    }
    if (req.transcript.length > 0 && !this.#mayAppend(ctx, req.transcript)) return;
    if (req.transcript.length > 0) this.#contexts.append(ctx, req.transcript, undefined);
    if (req.flush) this.#flush(ctx);
    if (!req.continue && this.#contexts.end(ctx, undefined)) this.#finish(id);
  }

  #open(id: string, req: Generation): TurnContext<Render> | undefined {
    if (this.socket.draining) {
      this.#refuse(id, 'shutting_down', 'the host is shutting down and takes no new text');
      return undefined;
    }
    this.#outputs.set(id, { encoding: req.encoding, sampleRate: req.sampleRate, addTimestamps: req.addTimestamps, flushes: 0 });
    return this.#contexts.create(id, { voice: req.voice, speed: req.speed, timestamps: req.addTimestamps });
  }

  #mayAppend(ctx: TurnContext<Render>, text: string): boolean {
    const limit = this.#ctx.config.maxTurnChars;
    if (ctx.chars + text.length > limit) return this.#refuse(ctx.id, 'text_too_long', `at most ${limit} characters between two flushes; this transcript was dropped`);
    if (this.#ctx.pool.health().queueDepth >= this.#ctx.config.maxQueue) return this.#refuse(ctx.id, 'overloaded', 'the synthesis queue is full; this transcript was dropped');
    if (ctx.open === undefined && this.#contexts.openTurns >= MAX_OPEN_TURNS) {
      return this.#refuse(ctx.id, 'overloaded', `at most ${MAX_OPEN_TURNS} flushed texts may wait for their audio; this transcript was dropped`);
    }
    return true;
  }

  #flush(ctx: TurnContext<Render>): void {
    const out = this.#outputs.get(ctx.id)!;
    const flushId = ++out.flushes;
    // The flushed turn, or the newest unfinished one; with none, everything is already out.
    const turn = this.#contexts.flush(ctx, undefined) ?? ctx.pending.at(-1);
    if (turn === undefined) {
      this.socket.sendJson(flushDoneFrame(ctx.id, flushId));
      return;
    }
    const ids = this.#acks.get(turn.id);
    if (ids === undefined) this.#acks.set(turn.id, [flushId]);
    else ids.push(flushId);
  }

  #finish(id: string): void {
    this.#outputs.delete(id);
    this.socket.sendJson(doneFrame(id));
  }

  #refuse(contextId: string, code: ErrorCode, message: string): false {
    this.socket.sendJson(errorFrame(contextId, code, message));
    return false;
  }
}
