/**
 * One ElevenLabs stream-input or multi-stream-input socket, rendered from the host's
 * turns (src/gateway/turn/): each context is a chain of turns (TurnContexts), a `flush`
 * ends the context's current turn, and its audio goes out as ElevenLabs audio messages
 * with character alignment from the turn's word times (alignment.ts).
 *
 * stream-input (one implicit context, no contextId on the wire):
 *   text " " (or any blank text) -> initialisation / keep-alive: nothing is spoken
 *   text "..."                   -> appended; complete phrases are synthesized at once
 *   flush: true                  -> the buffered text is spoken now
 *   text ""  (or close_socket)   -> end of input: the rest is spoken, `isFinal`, close 1000
 * multi-stream-input (context_id on every message; absent: the context "default"):
 *   text "..." to a new id       -> opens the context
 *   text "" to a context         -> keep-alive
 *   close_context                -> its text not yet flushed is dropped (barge-in), its
 *                                   flushed audio plays out, then `isFinal` for it
 *   close_socket                 -> every context ends as with end of input, then close 1000
 *
 * Errors use ElevenLabs' shape. A malformed message closes the socket with 1008 after the
 * error, as ElevenLabs does; on stream-input every refused message does. On multi-stream a
 * refusal about one context (unknown context, text over the limit, overload) names the
 * context and the socket goes on serving the others.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { ErrorCode } from '../../errors.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import { MAX_OPEN_TURNS, SocketSession, type CloseNotice, type ParsedFrame, type SocketProtocol } from '../../gateway/socket/connection.ts';
import { TurnContexts, type TurnContext } from '../../gateway/turn/turn-contexts.ts';
import type { Turn, TurnAudio, TurnChunkFailed, TurnDone, TurnEvents } from '../../gateway/turn/turn.ts';
import { pieces } from '../../common/raw-pcm.ts';
import { charAlignment } from './alignment.ts';
import { createTurnEncoder, type TurnEncoder } from './audio.ts';
import { audioFrame, BadFrame, errorFrame, finalFrame, parseElevenLabsFrame, type ElevenLabsMessage } from './messages.ts';
import type { ElevenLabsSettings } from './settings.ts';

/** Audio bytes per message: base64 of it stays well under the 1 MiB message limit of common clients. */
const MAX_AUDIO_BYTES = 256 * 1024;
const DEFAULT_CONTEXT = 'default';
const POLICY_VIOLATION = 1008;

type Render = undefined;

export class ElevenLabsSession implements SocketProtocol, TurnEvents<Render> {
  readonly kind = 'elevenlabs';
  readonly socket: SocketSession;
  readonly #ctx: GatewayContext;
  readonly #log: FastifyBaseLogger;
  readonly #settings: ElevenLabsSettings;
  readonly #multi: boolean;
  readonly #contexts: TurnContexts<Render>;
  readonly #encoders = new Map<string, TurnEncoder>();
  #speed = 1;
  #closeRequested = false;

  constructor(id: string, socket: WebSocket, ctx: GatewayContext, settings: ElevenLabsSettings, multi: boolean, log: FastifyBaseLogger) {
    this.#ctx = ctx;
    this.#log = log;
    this.#settings = settings;
    this.#multi = multi;
    this.socket = new SocketSession(id, socket, ctx, log, this);
    this.#contexts = new TurnContexts<Render>(ctx, id, this, log, (open) => this.socket.turnsChanged(open));
  }

  start(): void {
    this.socket.wire();
    const { voiceId, voice, formatName } = this.#settings;
    this.#log.info({ voiceId, voice, outputFormat: formatName, multi: this.#multi }, 'elevenlabs session opened');
  }

  // -- SocketProtocol ----------------------------------------------------------------

  get openTurns(): number {
    return this.#contexts.openTurns;
  }

  parseFrame(data: RawData, isBinary: boolean): ParsedFrame {
    if (isBinary) throw new BadFrame('binary frames are not accepted; send JSON text frames');
    const msg = parseElevenLabsFrame(data.toString());
    return { textChars: msg.text !== undefined && msg.text.length > 0 ? msg.text.length : undefined, apply: () => this.#handle(msg) };
  }

  recover(err: unknown): boolean {
    if (!(err instanceof BadFrame)) return false;
    this.#fail(err.code, err.message, undefined, true);
    return true;
  }

  closeFrame(notice: CloseNotice): object {
    return errorFrame(notice.code, notice.message, undefined);
  }

  rateLimitNotice(): CloseNotice {
    return { code: 'rate_limited', message: 'too many messages; see KOKORO_WS_MESSAGES_PER_SECOND and KOKORO_WS_TEXT_CHARS_PER_SECOND' };
  }

  acceptsFrames(): boolean {
    return !this.#closeRequested;
  }

  turnsIdle(): boolean {
    if (!this.#closeRequested || this.#contexts.size > 0) return false;
    this.socket.closeWith(1000, 'end of input');
    return true;
  }

  pauseTurns(): void {
    this.#contexts.pauseAll();
  }

  resumeTurns(): void {
    this.#contexts.resumeAll();
  }

  teardown(): void {
    this.#contexts.cancelAll();
    this.#encoders.clear();
  }

  // -- TurnEvents ----------------------------------------------------------------------

  audio(turn: Turn<Render>, a: TurnAudio<Render>): void {
    let encoder = this.#encoders.get(turn.id);
    if (encoder === undefined) this.#encoders.set(turn.id, (encoder = createTurnEncoder(this.#settings.format)));
    const bytes = encoder.encode(a.pcm);
    const alignment = charAlignment(a.text, a.words);
    if (bytes.length === 0 && alignment === null) return;
    const contextId = this.#wireId(turn);
    const parts = bytes.length === 0 ? [bytes] : pieces(bytes, MAX_AUDIO_BYTES);
    // The alignment's times count from the chunk's start: it rides on the chunk's first piece.
    parts.forEach((part, i) => this.socket.sendJson(audioFrame(part, i === 0 ? alignment : null, contextId)));
  }

  chunkFailed(turn: Turn<Render>, f: TurnChunkFailed): void {
    this.socket.sendJson(errorFrame(f.code, f.message, undefined, this.#wireId(turn)));
  }

  done(turn: Turn<Render>, d: TurnDone): void {
    const contextId = this.#wireId(turn);
    const tail = this.#encoders.get(turn.id)?.finish();
    this.#encoders.delete(turn.id);
    if (tail !== undefined && tail.length > 0) this.socket.sendJson(audioFrame(tail, null, contextId));
    if (d.allFailed) this.socket.sendJson(errorFrame('tts_all_failed', 'every chunk of the generation failed', undefined, contextId));
    const ended = this.#contexts.turnDone(turn, d.audioMs);
    if (ended?.finished === true) this.socket.sendJson(finalFrame(contextId));
  }

  // -- messages -------------------------------------------------------------------------

  #handle(msg: ElevenLabsMessage): void {
    if (msg.closeSocket || (!this.#multi && msg.text === '')) {
      this.#closeAll();
      return;
    }
    const id = msg.contextId ?? DEFAULT_CONTEXT;
    if (msg.speed !== undefined) this.#speed = msg.speed;
    if (this.#multi && msg.closeContext) {
      const ctx = this.#known(id);
      if (ctx === undefined) return;
      const dropped = ctx.open;
      this.#contexts.dropOpen(ctx);
      // A cancelled turn never reaches done(): its encoder goes here.
      if (dropped !== undefined) this.#encoders.delete(dropped.id);
      if (this.#contexts.end(ctx, undefined)) this.socket.sendJson(finalFrame(id));
      return;
    }
    if (msg.text !== undefined && msg.text.trim() !== '') {
      const ctx = this.#contexts.get(id) ?? this.#open(id);
      if (ctx === undefined || !this.#mayAppend(ctx, msg.text)) return;
      this.#contexts.append(ctx, msg.text, undefined);
    } else if (msg.text !== undefined && this.#contexts.get(id) === undefined && !msg.flush) {
      // The initialising " " (and a keep-alive): the context exists from now on.
      this.#open(id);
      return;
    }
    if (msg.flush) {
      const ctx = this.#known(id);
      if (ctx !== undefined) this.#contexts.flush(ctx, undefined);
    }
  }

  #open(id: string): TurnContext<Render> | undefined {
    if (this.socket.draining) {
      this.#fail('shutting_down', 'the host is shutting down and takes no new text', id);
      return undefined;
    }
    // ElevenLabs sends alignment with every audio message: its turns are always timed.
    return this.#contexts.create(id, { voice: this.#settings.voice, speed: this.#speed, timestamps: true });
  }

  /** The open context `id`; an unknown one is refused, one that is closing (still speaking) is passed over in silence. */
  #known(id: string): TurnContext<Render> | undefined {
    const ctx = this.#contexts.get(id);
    if (ctx === undefined) this.#fail('bad_message', `context "${id.slice(0, 100)}" is not open`, id);
    return ctx?.ending === true ? undefined : ctx;
  }

  #mayAppend(ctx: TurnContext<Render>, text: string): boolean {
    const limit = this.#ctx.config.maxTurnChars;
    if (ctx.ending) return this.#fail('bad_message', `context "${ctx.id.slice(0, 100)}" is closing; use a new context_id`, ctx.id);
    if (ctx.chars + text.length > limit) return this.#fail('text_too_long', `at most ${limit} characters between two flushes; this text was dropped`, ctx.id);
    if (this.#ctx.pool.health().queueDepth >= this.#ctx.config.maxQueue) return this.#fail('overloaded', 'the synthesis queue is full; this text was dropped', ctx.id);
    if (ctx.open === undefined && this.#contexts.openTurns >= MAX_OPEN_TURNS) {
      return this.#fail('overloaded', `at most ${MAX_OPEN_TURNS} flushed texts may wait for their audio; this text was dropped`, ctx.id);
    }
    return true;
  }

  /** End of input: every context is flushed and ends; the socket closes once all are final. */
  #closeAll(): void {
    this.#closeRequested = true;
    for (const id of this.#contexts.ids()) {
      const ctx = this.#contexts.get(id)!;
      if (!ctx.ending && this.#contexts.end(ctx, undefined)) this.socket.sendJson(finalFrame(this.#multi ? id : undefined));
    }
    if (this.#contexts.size === 0) this.socket.closeWith(1000, 'end of input');
  }

  /** Sends ElevenLabs' error; closes with 1008 when the original would (always on stream-input). Returns false. */
  #fail(code: ErrorCode, message: string, contextId: string | undefined, malformed = false): false {
    const closes = malformed || !this.#multi;
    this.socket.sendJson(errorFrame(code, message, closes ? POLICY_VIOLATION : undefined, this.#multi ? contextId : undefined));
    if (closes) this.socket.closeWith(POLICY_VIOLATION, code);
    return false;
  }

  #wireId(turn: Turn<Render>): string | undefined {
    return this.#multi ? this.#contexts.of(turn)?.id : undefined;
  }
}
