/**
 * The turn pipeline's public shapes (re-exported by turn-pipeline.ts), kept apart so the
 * pipeline file holds only its mechanism.
 */
import type { Language } from '../shared/languages.ts';
import { TtsError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { Synthesizer } from '../synth/types.ts';
import type { WordTiming } from '../shared/word-timing.ts';
import type { JoinSettings } from './join-silence.ts';

export interface ChunkAudio {
  turnId: string;
  index: number;
  text: string;
  pcm: Float32Array;
  sampleRate: number;
  queueMs: number;
  synthMs: number;
  provider: 'local' | 'upstream';
  /** Each word's time in `pcm` (after the join shaping moved them); undefined when the chunk was not timed. */
  words?: readonly WordTiming[];
}

export interface ChunkFailure {
  turnId: string;
  index: number;
  text: string;
  error: TtsError;
}

export interface TurnSummary {
  turnId: string;
  chunks: number;
  failed: number;
  /** Every chunk failed, and there was at least one. */
  allFailed: boolean;
  audioMs: number;
  firstAudioMs: number | null;
  /** How the turn ended: every chunk settled, or cancel(). */
  ended: 'done' | 'cancelled';
}

export interface TurnPipelineOptions {
  synth: Synthesizer;
  owner: string;
  voice: string;
  speed: number;
  /** Ask the synthesizer for word times (SynthesizeRequest.words). */
  timeWords?: boolean;
  /** The request's language (`lang`); undefined: the first voice of each chunk's mix decides. */
  lang?: Language;
  /** Chunks of this turn dispatched and not yet delivered or failed. */
  maxInFlight: number;
  /** finish()'s safety timeout for the impossible case. */
  drainSafetyMs: number;
  /** Optional guard per chunk, from dispatch; on expiry the chunk fails with tts_chunk_timeout. */
  chunkGuardMs?: number;
  metrics?: Metrics;
  /** performance.now() of the turn's first text (first-audio latency); default: construction. */
  startedAt?: number;
  /** Silence kept at joins (join-silence.ts); undefined: chunks are delivered as synthesized. */
  join?: JoinSettings | undefined;
}

/** Anything a Synthesizer rejects with, as a chunk error (unknown failures are chunk failures, not bugs of ours). */
export function chunkError(err: unknown): TtsError {
  if (err instanceof TtsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TtsError('tts_chunk_failed', message, { cause: err });
}
