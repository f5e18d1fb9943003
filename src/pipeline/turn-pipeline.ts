/**
 * One turn's chunks: synthesized concurrently (at most `maxInFlight` at a time), delivered
 * strictly in index order, a failed chunk skipped with its error, never a stall.
 *
 *   processChunk ─▶ pending ─(dispatch: slot free, not paused)─▶ running ─(settle)─▶ outcomes
 *                                                                                    │
 *        'audio' / 'error' ◀─(in index order, while the delivery gate is open)───────┘
 *
 *   index:      0    1    2    3    4    5
 *               └ emitted ┘└─ dispatched, not emitted ─┘└ pending ┘
 *                      next ▲                dispatched ▲  received ▲
 *
 * A slot is held from dispatch until the chunk is emitted (audio or error), so a turn
 * whose audio is held (gate closed, or an earlier chunk still running) stops dispatching:
 * held audio is bounded by `maxInFlight` chunks.
 *
 * Draining is event-driven: finish() resolves from inside the last chunk's settlement
 * (no polling, no timer on the normal path). `drainSafetyMs` is a backstop for the
 * impossible case (a Synthesizer whose promise never settles with no `chunkGuardMs`); when
 * it fires, every undelivered chunk fails with tts_chunk_timeout and the turn completes
 * even if the gate is still closed.
 *
 * A generation counter makes cancel() final: results of earlier generations are dropped,
 * never emitted late. cancel() emits 'cancelled' (not 'done'); a pending or later finish()
 * resolves with the summary so far (`ended: 'cancelled'`). Cancel after 'done' does nothing.
 */
import type { Language } from '../shared/languages.ts';
import { EventEmitter } from 'node:events';
import { TtsError } from '../errors.ts';
import { durationMs } from '../common/audio.ts';
import type { Silence } from '../shared/silence.ts';
import type { SynthesizedAudio } from '../synth/types.ts';
import { chunkAudio, chunkRequest, shapeForJoin } from './chunk-io.ts';
import { chunkError, type ChunkAudio, type ChunkFailure, type TurnPipelineOptions, type TurnSummary } from './turn-types.ts';

export type { ChunkAudio, ChunkFailure, TurnPipelineOptions, TurnSummary } from './turn-types.ts';

type Outcome = { ok: true; audio: ChunkAudio; silence?: Silence | undefined } | { ok: false; failure: ChunkFailure };

interface Pending {
  index: number;
  text: string;
  voice?: string;
  speed?: number;
  lang?: Language;
}

interface Running {
  text: string;
  controller: AbortController;
  guard?: NodeJS.Timeout;
}

interface Deferred {
  promise: Promise<TurnSummary>;
  resolve(summary: TurnSummary): void;
}

type State = 'open' | 'finishing' | 'done' | 'cancelled';

export class TurnPipeline extends EventEmitter {
  readonly turnId: string;
  readonly #opts: TurnPipelineOptions;
  #voice: string;
  #speed: number;
  /** The request's language; undefined: each chunk's first voice decides (in the worker). */
  #lang: Language | undefined;
  readonly #startedAt: number;
  #gen = 0;
  #state: State = 'open';
  #received = 0;
  #dispatched = 0;
  #next = 0;
  #pending: Pending[] = [];
  readonly #running = new Map<number, Running>();
  readonly #outcomes = new Map<number, Outcome>();
  #failed = 0;
  #audioMs = 0;
  #firstAudioMs: number | null = null;
  #lastDelivered = -1;
  /** Lead the next delivered chunk may keep (samples); undefined until the turn's first audio. */
  #nextLead: number | undefined;
  #deliveryOpen = true;
  #paused = false;
  #finish: Deferred | undefined;
  #safety: NodeJS.Timeout | undefined;
  #pumping = false;
  #pumpAgain = false;
  #forced = false;

  constructor(turnId: string, opts: TurnPipelineOptions) {
    super();
    if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
    if (!(opts.drainSafetyMs > 0)) throw new RangeError('drainSafetyMs must be positive');
    if (opts.chunkGuardMs !== undefined && !(opts.chunkGuardMs > 0)) throw new RangeError('chunkGuardMs must be positive');
    this.turnId = turnId;
    this.#opts = opts;
    this.#voice = opts.voice;
    this.#speed = opts.speed;
    this.#lang = opts.lang;
    this.#startedAt = opts.startedAt ?? performance.now();
  }

  get lastDeliveredIndex(): number {
    return this.#lastDelivered;
  }

  /** Chunks dispatched and not yet delivered or failed. */
  get inFlight(): number {
    return this.#dispatched - this.#next;
  }

  /** Session defaults for chunks not yet dispatched (ws-v1 `config`). */
  setDefaults(defaults: { voice?: string; speed?: number; lang?: Language }): void {
    if (defaults.voice !== undefined) this.#voice = defaults.voice;
    if (defaults.speed !== undefined) this.#speed = defaults.speed;
    if (defaults.lang !== undefined) this.#lang = defaults.lang;
  }

  /**
   * Queue the turn's next chunk; returns its index (0, 1, 2… in the order given), or -1
   * when it is ignored after cancel(). Refused after finish().
   */
  processChunk(text: string, overrides?: { voice?: string; speed?: number; lang?: Language }): number {
    if (this.#state === 'cancelled') return -1;
    const index = this.#received;
    if (this.#state !== 'open') throw new TtsError('internal', `turn ${this.turnId} is finished; chunk ${index} refused`);
    this.#received++;
    this.#pending.push({ index, text, ...overrides });
    this.#pump();
    return index;
  }

  /** Resolves when every chunk is delivered or failed (after 'done'), or at cancel(). */
  finish(): Promise<TurnSummary> {
    if (this.#finish !== undefined) return this.#finish.promise;
    let resolve!: (summary: TurnSummary) => void;
    const promise = new Promise<TurnSummary>((r) => (resolve = r));
    this.#finish = { promise, resolve };
    if (this.#state === 'cancelled') {
      resolve(this.#summary('cancelled'));
      return promise;
    }
    this.#state = 'finishing';
    this.#pump();
    if (this.#state === 'finishing') {
      const gen = this.#gen;
      this.#safety = setTimeout(() => {
        if (gen === this.#gen) this.#forceComplete();
      }, this.#opts.drainSafetyMs);
    }
    return promise;
  }

  /** Barge-in: aborts every request, drops queued work and undelivered results. */
  cancel(): void {
    if (this.#state === 'cancelled' || this.#state === 'done') return;
    const summary = this.#summary('cancelled');
    this.#state = 'cancelled';
    this.#dropWork();
    this.#finish?.resolve(summary);
    this.emit('cancelled', { turnId: this.turnId, lastIndex: this.#lastDelivered });
  }

  /** A later turn may synthesize early but holds its audio (and errors) until opened. */
  setDeliveryOpen(open: boolean): void {
    this.#deliveryOpen = open;
    if (open) this.#pump();
  }

  /** Flow control: stop dispatching new chunks; chunks already running continue. */
  pauseDispatch(): void {
    this.#paused = true;
  }

  resumeDispatch(): void {
    this.#paused = false;
    this.#pump();
  }

  /** Abort and forget everything of the current generation. */
  #dropWork(): void {
    this.#gen++;
    for (const run of this.#running.values()) {
      clearTimeout(run.guard);
      run.controller.abort(new TtsError('cancelled', 'the turn was cancelled'));
    }
    this.#running.clear();
    this.#pending = [];
    this.#outcomes.clear();
    clearTimeout(this.#safety);
    this.#safety = undefined;
    // A listener may cancel from inside an emit: the interrupted pump stops on the
    // generation check, and nothing of this generation runs again.
    this.#pumping = false;
    this.#pumpAgain = false;
  }

  /** Emit what is ready, dispatch what fits, complete if drained; re-entrant calls loop here. */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    const gen = this.#gen;
    try {
      do {
        this.#pumpAgain = false;
        this.#emitReady(gen);
        if (gen !== this.#gen) return;
        this.#dispatch();
        this.#maybeComplete();
      } while (this.#pumpAgain && gen === this.#gen);
    } finally {
      this.#pumping = false;
    }
  }

  #emitReady(gen: number): void {
    while ((this.#deliveryOpen || this.#forced) && gen === this.#gen) {
      const outcome = this.#outcomes.get(this.#next);
      if (outcome === undefined) return;
      this.#outcomes.delete(this.#next);
      this.#next++;
      if (outcome.ok) this.#deliver(this.#shape(outcome.audio, outcome.silence));
      else this.#skip(outcome.failure);
    }
  }

  /** Trims the chunk's silence for its join (chunk-io.ts); as synthesized when off or unmeasured. */
  #shape(audio: ChunkAudio, silence: Silence | undefined): ChunkAudio {
    const shaped = shapeForJoin(audio, silence, this.#opts.join, this.#nextLead);
    this.#nextLead = shaped.nextLead;
    return shaped.audio;
  }

  #deliver(audio: ChunkAudio): void {
    const metrics = this.#opts.metrics;
    this.#lastDelivered = audio.index;
    this.#audioMs += durationMs(audio.pcm.length, audio.sampleRate);
    if (this.#firstAudioMs === null) {
      this.#firstAudioMs = performance.now() - this.#startedAt;
      metrics?.firstChunk.observe(this.#firstAudioMs / 1000);
    }
    metrics?.chunksDelivered.inc();
    this.emit('audio', audio);
  }

  #skip(failure: ChunkFailure): void {
    this.#failed++;
    this.#opts.metrics?.chunksFailed.inc({ code: failure.error.code });
    // EventEmitter throws an unhandled 'error'; a listener-less pipeline just skips the chunk.
    if (this.listenerCount('error') > 0) this.emit('error', failure);
  }

  #dispatch(): void {
    while (!this.#paused && this.#state !== 'cancelled' && this.inFlight < this.#opts.maxInFlight) {
      const chunk = this.#pending.shift();
      if (chunk === undefined) return;
      this.#start(chunk);
    }
  }

  #start(chunk: Pending): void {
    const gen = this.#gen;
    const { index, text } = chunk;
    const controller = new AbortController();
    const run: Running = { text, controller };
    this.#running.set(index, run);
    this.#dispatched++;
    const guardMs = this.#opts.chunkGuardMs;
    if (guardMs !== undefined) {
      run.guard = setTimeout(() => {
        const error = new TtsError('tts_chunk_timeout', `chunk ${index} passed the ${guardMs} ms guard`);
        // Lets the pool drop the work if it is still queued; a running result is discarded.
        controller.abort(error);
        this.#settle(gen, index, { ok: false, failure: { turnId: this.turnId, index, text, error } });
      }, guardMs);
    }
    // Nothing before it is still to play: the listener waits on this one.
    const urgent = index === this.#next;
    const turn = { voice: this.#voice, speed: this.#speed, lang: this.#lang };
    const req = chunkRequest(text, chunk, turn, { owner: this.#opts.owner, signal: controller.signal, urgent, timeWords: this.#opts.timeWords === true });
    let result: Promise<SynthesizedAudio>;
    try {
      result = this.#opts.synth.synthesize(req);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (a) => this.#settle(gen, index, { ok: true, audio: chunkAudio(this.turnId, index, text, a), silence: a.silence }),
      (err: unknown) => this.#settle(gen, index, { ok: false, failure: { turnId: this.turnId, index, text, error: chunkError(err) } }),
    );
  }

  #settle(gen: number, index: number, outcome: Outcome): void {
    if (gen !== this.#gen) return;
    const run = this.#running.get(index);
    if (run === undefined) return;
    this.#running.delete(index);
    clearTimeout(run.guard);
    this.#outcomes.set(index, outcome);
    this.#pump();
  }

  #maybeComplete(): void {
    if (this.#state !== 'finishing' || this.#next !== this.#received) return;
    // 'done' is part of the ordered stream: a later turn's must not precede an earlier turn's.
    if (!this.#deliveryOpen && !this.#forced) return;
    this.#state = 'done';
    clearTimeout(this.#safety);
    this.#safety = undefined;
    const summary = this.#summary('done');
    this.#opts.metrics?.turnTotal.observe((performance.now() - this.#startedAt) / 1000);
    // Resolved first: awaiters still run after these events, whatever a listener does.
    this.#finish?.resolve(summary);
    this.emit('done', summary);
  }

  /** The safety timeout: every chunk not yet emitted fails, and the turn completes regardless of the gate. */
  #forceComplete(): void {
    this.#safety = undefined;
    for (let index = this.#next; index < this.#received; index++) {
      const held = this.#outcomes.get(index);
      if (held !== undefined && (!held.ok || this.#deliveryOpen)) continue;
      const run = this.#running.get(index);
      const text = held?.ok === true ? held.audio.text : (run?.text ?? this.#pendingText(index));
      const error = new TtsError('tts_chunk_timeout', `turn ${this.turnId} did not drain within ${this.#opts.drainSafetyMs} ms`);
      if (run !== undefined) {
        clearTimeout(run.guard);
        run.controller.abort(error);
        this.#running.delete(index);
      }
      this.#outcomes.set(index, { ok: false, failure: { turnId: this.turnId, index, text, error } });
    }
    this.#pending = [];
    this.#dispatched = this.#received;
    this.#forced = true;
    this.#pump();
  }

  #pendingText(index: number): string {
    return this.#pending.find((p) => p.index === index)?.text ?? '';
  }

  #summary(ended: TurnSummary['ended']): TurnSummary {
    return { turnId: this.turnId, chunks: this.#received, failed: this.#failed, allFailed: this.#received > 0 && this.#failed === this.#received, audioMs: this.#audioMs, firstAudioMs: this.#firstAudioMs, ended };
  }
}
