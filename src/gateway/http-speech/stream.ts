/**
 * One HTTP speech response (OpenAI speech, captioned speech, Deepgram REST): the input is one
 * turn (src/gateway/turn/), alone and so its own head, and this renders the turn's events as
 * the response: each chunk encoded and written as soon as it is delivered, in the bytes its
 * framing (framing.ts) makes of it. Headers wait for the first audio (for a whole-document
 * framing, for the end), so a request whose every chunk fails, or that the framing refuses,
 * still gets a proper error status and body.
 *
 * Backpressure: when the response body buffer is full, the turn stops dispatching until
 * the client reads. A client that goes away cancels the turn and its queued work.
 */
import type { Language } from '../../shared/languages.ts';
import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { isRetryable, isTtsError, type TtsError } from '../../errors.ts';
import type { GatewayContext } from '../context.ts';
import type { Drainable } from '../lifecycle.ts';
import { KOKORO_SPEED_RANGE, Turn, type TurnAudio, type TurnChunkFailed, type TurnDone, type TurnEvents } from '../turn/turn.ts';
import type { AudioEncoder } from '../encoders/types.ts';
import type { SpeechFraming, Body } from './framing.ts';

/** What a speech stream needs of its request, whatever protocol parsed it. */
export interface SpeechInput {
  input: string;
  voice: string;
  speed: number;
  /** The metrics label: the requested format. */
  format: string;
  /** The input in runs of one rate (SSML prosody, src/pronunciation/); absent: `input` at rate 1. */
  runs?: readonly { text: string; rate: number }[];
  /** Word times were asked for (SSE `return_timestamps`, captioned speech). */
  timestamps?: boolean;
  /** The request's language (README: Languages); undefined: the voice's. */
  lang?: Language;
}

const BODY_HIGH_WATER = 256 * 1024;

export type FirstOutcome =
  | { kind: 'audio' }
  | { kind: 'failed'; transient: boolean; failures: number }
  | { kind: 'refused'; error: TtsError }
  | { kind: 'aborted' };

export class SpeechStream implements Drainable, TurnEvents<undefined> {
  readonly body: Readable;
  /** Resolves with the first thing that decides the response: audio, total failure, a refusal by the framing, or abort. */
  readonly first: Promise<FirstOutcome>;
  readonly #ctx: GatewayContext;
  readonly #params: SpeechInput;
  readonly #framing: SpeechFraming;
  readonly #owner: string;
  readonly #log: FastifyBaseLogger;
  readonly #encoder: AudioEncoder;
  readonly #turn: Turn;
  #resolveFirst!: (outcome: FirstOutcome) => void;
  #audio = false;
  /** Something was pushed to the body: the status is decided. */
  #sent = false;
  /** Every failure so far was retryable (a full queue, a stopping host): 503, not 500. */
  #onlyRetryable = true;
  #paused = false;
  #ended = false;
  #responseClosed = false;

  constructor(ctx: GatewayContext, params: SpeechInput, owner: string, encoder: AudioEncoder, framing: SpeechFraming, log: FastifyBaseLogger) {
    this.#ctx = ctx;
    this.#params = params;
    this.#framing = framing;
    this.#owner = owner;
    this.#encoder = encoder;
    this.#log = log;
    this.first = new Promise((resolve) => (this.#resolveFirst = resolve));
    this.body = new Readable({ highWaterMark: BODY_HIGH_WATER, read: () => this.#resume() });
    this.#turn = new Turn(owner, ctx, owner, { voice: params.voice, speed: params.speed, timestamps: params.timestamps === true, ...(params.lang !== undefined ? { lang: params.lang } : {}) }, this, log);
    this.#turn.becomeHead();
  }

  /** The whole input, at once: the turn's pipeline bounds what runs at once. */
  start(): void {
    const { input, voice, format, speed } = this.#params;
    this.#log.info({ chars: input.length, voice, format, speed }, 'speech started');
    // Runs of one SSML prosody rate each end in a newline: the chunker cuts there, so each chunk has one speed.
    const runs = this.#params.runs ?? [{ text: this.#params.input, rate: 1 }];
    const cut = runs.length > 1;
    for (const run of runs) {
      const runSpeed = Math.min(KOKORO_SPEED_RANGE[1], Math.max(KOKORO_SPEED_RANGE[0], speed * run.rate));
      this.#turn.append(cut ? `${run.text}\n` : run.text, undefined, run.rate === 1 ? undefined : { speed: runSpeed });
    }
    this.#turn.flush(undefined);
  }

  /** Busy until the response is closed: a drain must not cut the last bytes still in flight. */
  busy(): boolean {
    return !this.#responseClosed;
  }

  /** The HTTP response closed (finished, or the client went away). */
  responseClosed(): void {
    this.#responseClosed = true;
    if (!this.#ended) this.abort('client closed the connection');
    this.#ctx.lifecycle.delete(this);
  }

  beginShutdown(): void {
    // In-flight speech finishes within the grace period; nothing to refuse here.
  }

  async forceClose(): Promise<void> {
    this.abort('shutdown');
  }

  /** The client went away (or the host is stopping): drop queued and in-flight work. */
  abort(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#turn.cancel();
    this.#ctx.pool.cancelOwner(this.#owner);
    this.#encoder.close();
    this.#resolveFirst({ kind: 'aborted' });
    this.body.destroy();
    this.#ctx.metrics.httpSpeech.inc({ format: this.#params.format, outcome: 'aborted' });
    this.#log.info({ reason }, 'speech aborted');
  }

  // -- TurnEvents: the turn rendered as the response ------------------------------------

  audio(_turn: Turn, a: TurnAudio<undefined>): void {
    if (this.#ended) return;
    this.#audio = true;
    let out: Body;
    try {
      out = this.#framing.chunk(this.#encoder.encode(a.pcm), a);
    } catch (err) {
      if (!isTtsError(err) || this.#sent) throw err;
      this.#refuse(err);
      return;
    }
    this.#write(out);
    if (!this.#framing.whole) this.#resolveFirst({ kind: 'audio' });
  }

  chunkFailed(_turn: Turn, f: TurnChunkFailed): void {
    if (this.#ended) return;
    if (!isRetryable(f.cause)) this.#onlyRetryable = false;
    this.#write(this.#framing.failed(f));
  }

  done(_turn: Turn, d: TurnDone): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#audio) {
      this.#encoder.close();
      this.body.destroy();
      this.#ctx.metrics.httpSpeech.inc({ format: this.#params.format, outcome: 'failed' });
      this.#resolveFirst({ kind: 'failed', transient: d.failed > 0 && this.#onlyRetryable, failures: d.failed });
      return;
    }
    this.#write(this.#framing.end(this.#encoder.finish()));
    this.body.push(null);
    this.#resolveFirst({ kind: 'audio' });
    this.#ctx.metrics.httpSpeech.inc({ format: this.#params.format, outcome: d.failed > 0 ? 'partial' : 'ok' });
    this.#log.info({ chunks: d.chunks, failed: d.failed, audioMs: d.audioMs, firstAudioMs: d.firstAudioMs }, 'speech finished');
  }

  broken(): void {
    this.abort('internal');
  }

  /** The framing cannot render this request (e.g. timestamps on a host that cannot time): nothing was sent, so it is an error reply. */
  #refuse(error: TtsError): void {
    this.#ended = true;
    this.#turn.cancel();
    this.#ctx.pool.cancelOwner(this.#owner);
    this.#encoder.close();
    this.body.destroy();
    this.#ctx.metrics.httpSpeech.inc({ format: this.#params.format, outcome: 'refused' });
    this.#resolveFirst({ kind: 'refused', error });
  }

  #write(out: Body): void {
    if (out === null || out.length === 0) return;
    this.#sent = true;
    if (!this.body.push(out) && !this.#paused) {
      this.#paused = true;
      this.#turn.pauseDispatch();
    }
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#turn.resumeDispatch();
  }
}
