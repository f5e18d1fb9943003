/**
 * What a turn hands the protocol that renders it: audio, a skipped chunk, the end with its
 * summary. Protocol-neutral: codes come from the error catalogue, audio is float PCM at
 * OUTPUT_SAMPLE_RATE, and each protocol builds its own frames from these.
 */
import type { ErrorCode } from '../../errors.ts';
import type { ChunkFailure } from '../../pipeline/turn-pipeline.ts';
import type { Language } from '../../shared/languages.ts';
import type { WordTiming } from '../../shared/word-timing.ts';
import type { Turn } from './turn.ts';

/** The speeds Kokoro sounds right at, whatever protocol asks (OpenAI's wider range is clamped into it). */
export const KOKORO_SPEED_RANGE = [0.5, 2] as const;

export interface VoiceSettings {
  voice: string;
  speed: number;
  /**
   * The client asked for word times. Only then does the worker locate the words (a phonemizer
   * call per new word, tens of ms a chunk): a turn nobody times does not pay for it.
   */
  timestamps?: boolean;
  /** The request's `lang`; undefined: the language of the voice. */
  lang?: Language;
}

export interface TurnAudio<R> {
  index: number;
  /** The phrase this audio speaks. */
  text: string;
  /** Mono float PCM at OUTPUT_SAMPLE_RATE. */
  pcm: Float32Array;
  synthMs: number;
  queueMs: number;
  /** How the protocol asked this chunk to be rendered when it was queued. */
  render: R;
  /** Where this chunk starts on the turn's audio timeline: the ms of every earlier chunk delivered (skipped ones add nothing). */
  offsetMs: number;
  /** Word times relative to the first sample of `pcm`; undefined when the host cannot time words. */
  words?: readonly WordTiming[];
}

export interface TurnChunkFailed {
  index: number;
  /** What a client is told: the chunk timed out, or failed for any other reason. */
  code: 'tts_chunk_timeout' | 'tts_chunk_failed';
  /** Why, as the pool or router reported it (overloaded, inference_error...). */
  cause: ErrorCode;
  message: string;
}

export interface TurnDone {
  chunks: number;
  failed: number;
  /** Every chunk failed (and there was at least one). */
  allFailed: boolean;
  audioMs: number;
  /** From the turn's first text to its first audio handed on; null when none was. */
  firstAudioMs: number | null;
}

export interface TurnEvents<R> {
  audio(turn: Turn<R>, audio: TurnAudio<R>): void;
  chunkFailed(turn: Turn<R>, failure: TurnChunkFailed): void;
  /** The last event of a turn that was not cancelled. */
  done(turn: Turn<R>, done: TurnDone): void;
  /** The pipeline itself failed (a bug): the turn is cancelled and says so here. */
  broken?(turn: Turn<R>, err: unknown): void;
}

export function chunkFailedEvent(f: ChunkFailure): TurnChunkFailed {
  const cause = f.error.code;
  const code = cause === 'tts_chunk_timeout' ? 'tts_chunk_timeout' : 'tts_chunk_failed';
  const message = cause === 'overloaded' ? 'the host was overloaded; the chunk was skipped' : `chunk ${f.index} failed and was skipped`;
  return { index: f.index, code, cause, message };
}
