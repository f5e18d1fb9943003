/**
 * What the pipeline needs from synthesis, and nothing more. The local pool, the
 * upstream provider and the router that combines them all implement `Synthesizer`.
 */
import type { Language } from '../shared/languages.ts';
import type { Silence } from '../shared/silence.ts';
import type { WordTiming } from '../shared/word-timing.ts';

export interface SynthesizeRequest {
  text: string;
  voice: string;
  speed: number;
  /** The language to read the text in; undefined: the language of the voice (the first of a mix). */
  lang?: Language;
  /**
   * Who asked (a connection or HTTP request id). The pool's queue is fair across
   * owners: it takes one task of each owner in turn.
   */
  owner: string;
  /**
   * A user's cancel. Aborting removes queued work at no cost and makes a running
   * chunk's result be discarded; it never terminates a worker.
   */
  signal?: AbortSignal;
  /**
   * A listener is waiting on this chunk (a turn's first, or the next to play): it goes before
   * other turns' look-ahead chunks (fair-queue.ts).
   */
  urgent?: boolean;
  /** Time the words (SynthesizedAudio.words): someone asked. Otherwise words may be left out. */
  words?: boolean;
}

export interface SynthesizedAudio {
  /** Mono float32 PCM at `sampleRate`. */
  pcm: Float32Array;
  sampleRate: number;
  /** Time spent waiting in the queue, in ms. */
  queueMs: number;
  /** Time spent synthesizing (all tries), in ms. */
  synthMs: number;
  provider: 'local' | 'upstream';
  /** Phoneme tokens of the chunk, when the provider knows them. */
  tokens?: number;
  /** Leading and trailing silence, measured by the worker (src/shared/silence.ts). */
  silence?: Silence;
  /** Each word's time in `pcm`, when the model gave durations (src/shared/word-timing.ts); undefined: cannot time. */
  words?: WordTiming[];
}

/** Rejects with a `TtsError`: tts_chunk_failed, tts_chunk_timeout, overloaded, cancelled, invalid_voice… */
export interface Synthesizer {
  synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio>;
}
