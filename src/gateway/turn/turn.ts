/**
 * One turn, whatever protocol asked for it: text in, phrases out of its chunker, ordered
 * synthesis through its pipeline, and a typed stream of events (turn-events.ts) that the
 * protocol renders as its own frames: ws-v1's tts_meta/tts_done, Deepgram's audio and
 * Flushed, OpenAI's body or SSE events. A turn knows no frame of any protocol.
 *
 * Only the head turn (the oldest open one of a session) hands its events on. A later turn
 * synthesizes early, but its events wait in its outbox until it becomes the head; the
 * pipeline's own delivery gate keeps that wait bounded to its look-ahead. A turn that is
 * alone (an HTTP request) becomes the head at once.
 *
 *   open --flush()--> flushed --pipeline done--> done handed on --> closed
 *     \________________cancel()_____________________________--> closed
 *
 * `R` is what the protocol renders each chunk with (ws-v1: its audio format), fixed when
 * the chunk is queued and changeable until it is dispatched (applyDefaults).
 */
import { languageOfVoiceId, type Language } from '../../shared/languages.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { PhraseChunker } from '../../pipeline/phrase-chunker.ts';
import { TurnPipeline, type ChunkAudio, type ChunkFailure, type TurnSummary } from '../../pipeline/turn-pipeline.ts';
import { joinSettings } from '../../pipeline/join-silence.ts';
import { shiftWords } from '../../pipeline/word-shift.ts';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from '../context.ts';
import { atOutputRate, samplesToMs } from './audio-out.ts';
import { chunkerFor } from './chunking.ts';
import { TextIntake } from '../../pronunciation/hygiene.ts';
import { chunkFailedEvent, type TurnEvents, type VoiceSettings } from './turn-events.ts';

export { KOKORO_SPEED_RANGE } from './turn-events.ts';
export type { TurnAudio, TurnChunkFailed, TurnDone, TurnEvents, VoiceSettings } from './turn-events.ts';

/** Per-message voice/speed (ws-v1 `speak`); chunks without them follow the turn's defaults until dispatched. */
export type Overrides = { voice?: string; speed?: number; lang?: Language };

export type TurnState = 'open' | 'flushed' | 'closed';

type Outgoing<R> = { kind: 'audio'; a: ChunkAudio; pcm: Float32Array; render: R } | { kind: 'failed'; f: ChunkFailure } | { kind: 'done'; summary: TurnSummary };

export class Turn<R = undefined> {
  readonly id: string;
  #state: TurnState = 'open';
  #head = false;
  #outbox: Outgoing<R>[] = [];
  readonly #events: TurnEvents<R>;
  readonly #log: FastifyBaseLogger;
  readonly #onClosed: (turn: Turn<R>) => void;
  readonly #pipeline: TurnPipeline;
  readonly #chunker: PhraseChunker;
  /** Text hygiene (src/pronunciation/hygiene.ts): every protocol's text passes here first. */
  readonly #intake = new TextIntake();
  /** How each queued chunk is to be rendered, until it is handed on. */
  readonly #render = new Map<number, R>();
  readonly #startedAt = performance.now();
  #chars = 0;
  /** Chunks the pipeline has emitted (audio or failure): every index below emitted + inFlight is dispatched. */
  #emitted = 0;
  #lastSent = -1;
  #samples = 0;
  #firstAudioMs: number | null = null;

  constructor(id: string, ctx: GatewayContext, owner: string, voice: VoiceSettings, events: TurnEvents<R>, log: FastifyBaseLogger, onClosed: (turn: Turn<R>) => void = () => {}) {
    this.id = id;
    this.#events = events;
    this.#log = log;
    this.#onClosed = onClosed;
    // The first voice of a mix decides the language when the request names none (as in the worker).
    this.#chunker = chunkerFor(ctx, voice.speed, voice.lang ?? languageOfVoiceId(voice.voice));
    this.#pipeline = new TurnPipeline(id, {
      synth: ctx.synth,
      owner,
      voice: voice.voice,
      speed: voice.speed,
      timeWords: voice.timestamps === true,
      ...(voice.lang !== undefined ? { lang: voice.lang } : {}),
      maxInFlight: ctx.config.maxInFlightPerTurn,
      drainSafetyMs: ctx.config.drainSafetyMs,
      metrics: ctx.metrics,
      startedAt: this.#startedAt,
      join: joinSettings(ctx.config),
    });
    this.#pipeline.setDeliveryOpen(false);
    this.#pipeline.on('audio', (a: ChunkAudio) => this.#onAudio(a));
    this.#pipeline.on('error', (f: ChunkFailure) => this.#onFailure(f));
    this.#pipeline.on('done', (summary: TurnSummary) => this.#emit({ kind: 'done', summary }));
  }

  get state(): TurnState {
    return this.#state;
  }

  get chars(): number {
    return this.#chars;
  }

  get lastSentIndex(): number {
    return this.#lastSent;
  }

  /** Text for this turn; every complete phrase is dispatched at once. Returns the phrases queued. */
  append(text: string, render: R, overrides?: Overrides): number {
    this.#chars += text.length;
    const chunks = this.#chunker.push(this.#intake.push(text));
    for (const chunk of chunks) this.#submit(chunk.text, render, overrides);
    return chunks.length;
  }

  /** No more text: the buffered rest becomes the last chunk; `done` follows when all are settled. */
  flush(render: R, overrides?: Overrides): void {
    if (this.#state !== 'open') return;
    for (const chunk of [...this.#chunker.push(this.#intake.flush()), ...this.#chunker.flush()]) this.#submit(chunk.text, render, overrides);
    this.#state = 'flushed';
    this.#pipeline.finish().catch((err: unknown) => {
      this.#log.error({ err, turnId: this.id }, 'turn pipeline failed');
      this.cancel();
      this.#events.broken?.(this, err);
    });
  }

  /** Barge-in: drop everything of this turn; returns the last index whose audio was handed on. */
  cancel(): number {
    if (this.#state !== 'closed') {
      this.#state = 'closed';
      this.#outbox = [];
      this.#pipeline.cancel();
    }
    return this.#lastSent;
  }

  /** This turn is now the oldest open one: its events may go out. */
  becomeHead(): void {
    if (this.#head || this.#state === 'closed') return;
    this.#head = true;
    this.#pipeline.setDeliveryOpen(true);
    const pending = this.#outbox;
    this.#outbox = [];
    for (const out of pending) this.#deliver(out);
  }

  /** New defaults for the chunks of this turn not yet dispatched (ws-v1 `config`). */
  applyDefaults(voice: VoiceSettings, render: R): void {
    if (this.#state === 'closed') return;
    this.#pipeline.setDefaults(voice);
    const dispatched = this.#emitted + this.#pipeline.inFlight;
    for (const index of this.#render.keys()) if (index >= dispatched) this.#render.set(index, render);
  }

  pauseDispatch(): void {
    this.#pipeline.pauseDispatch();
  }

  resumeDispatch(): void {
    this.#pipeline.resumeDispatch();
  }

  #submit(text: string, render: R, overrides?: Overrides): void {
    const index = this.#pipeline.processChunk(text, overrides);
    this.#render.set(index, render);
    this.#log.debug({ turnId: this.id, index, chars: text.length }, 'chunk queued');
  }

  #onAudio(a: ChunkAudio): void {
    this.#emitted++;
    const render = this.#render.get(a.index) as R;
    this.#render.delete(a.index);
    if (this.#state === 'closed') return;
    const pcm = atOutputRate(a.pcm, a.sampleRate);
    this.#log.debug({ turnId: this.id, index: a.index, samples: pcm.length, synthMs: Math.round(a.synthMs), queueMs: Math.round(a.queueMs), provider: a.provider }, 'chunk synthesized');
    this.#emit({ kind: 'audio', a, pcm, render });
  }

  #onFailure(f: ChunkFailure): void {
    this.#emitted++;
    this.#render.delete(f.index);
    if (this.#state === 'closed' || f.error.code === 'cancelled') return;
    this.#log.warn({ turnId: this.id, index: f.index, code: f.error.code }, 'chunk skipped');
    this.#emit({ kind: 'failed', f });
  }

  #emit(out: Outgoing<R>): void {
    if (this.#head) this.#deliver(out);
    else this.#outbox.push(out);
  }

  #deliver(out: Outgoing<R>): void {
    if (this.#state === 'closed') return;
    switch (out.kind) {
      case 'audio': {
        this.#firstAudioMs ??= Math.round(performance.now() - this.#startedAt);
        this.#lastSent = out.a.index;
        const offsetMs = samplesToMs(this.#samples);
        this.#samples += out.pcm.length;
        const { index, text, synthMs, queueMs, words } = out.a;
        // Resampling to the output rate keeps times; the clamp keeps them inside the delivered samples.
        const timed = words === undefined ? {} : { words: shiftWords(words, 0, out.pcm.length, OUTPUT_SAMPLE_RATE) };
        this.#events.audio(this, { index, text, pcm: out.pcm, synthMs, queueMs, render: out.render, offsetMs, ...timed });
        return;
      }
      case 'failed':
        this.#events.chunkFailed(this, chunkFailedEvent(out.f));
        return;
      case 'done': {
        this.#state = 'closed';
        const { chunks, failed, allFailed } = out.summary;
        this.#events.done(this, { chunks, failed, allFailed, audioMs: samplesToMs(this.#samples), firstAudioMs: this.#firstAudioMs });
        this.#onClosed(this);
        return;
      }
    }
  }
}
