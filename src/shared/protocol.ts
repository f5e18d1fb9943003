/**
 * The thread boundary, as data. Imported by the main thread (src/synth) and by the
 * worker (workers/); it must stay dependency-free.
 *
 * Expected failures cross the boundary as tagged results, never as exceptions:
 * custom error properties such as `code` are lost when Piscina re-throws a worker
 * error on the main thread (piscina#1143).
 */
import type { Language } from './languages.ts';
import type { RuntimeInfo } from '../runtime/types.ts';
import type { Silence } from './silence.ts';
import type { WordTiming } from './word-timing.ts';

export const PROTOCOL_VERSION = 1;

/** One unit of synthesis: a phrase of text (or ready phonemes) in one voice. */
export interface SynthRequest {
  /** Main-side task id, echoed in the worker's `started` event so the run deadline can be armed. */
  taskId: number;
  /** Text to speak. Exactly one of `text` and `phonemes` is set. */
  text?: string;
  /** Pre-computed phonemes (skips espeak-ng). */
  phonemes?: string;
  /** A voice id (`af_heart`) or a mix (`af_bella+af_sky`, `af_bella(2)+af_sky(1)`). */
  voice: string;
  speed: number;
  /** Locate and time the words (a client asked); absent: the result carries no words. */
  words?: boolean;
  /** The language to read `text` in; undefined: the language of the (first) voice. */
  lang?: Language;
}

export interface SynthTimings {
  phonemizeMs: number;
  inferenceMs: number;
}

export interface SynthSuccess {
  ok: true;
  /** Mono PCM, float32 in [-1, 1], transferred (never copied) across the thread line. */
  pcm: Float32Array;
  sampleRate: number;
  samples: number;
  /** Phoneme tokens fed to the model (pads excluded). */
  tokens: number;
  phonemes: string;
  timings: SynthTimings;
  /** Leading and trailing silence, for the host's joins (src/shared/silence.ts). */
  silence: Silence;
  /** Each word's time in `pcm` (src/shared/word-timing.ts); absent when the worker cannot time. */
  words?: WordTiming[];
}

/** Failure codes a worker can report as data. */
export type WorkerFailureCode =
  | 'invalid_voice'
  | 'invalid_speed'
  | 'invalid_lang'
  | 'empty_text'
  | 'text_too_long'
  | 'inference_error'
  /** The worker's model failed to load; the task may be retried on another worker. */
  | 'not_loaded';

export interface SynthFailure {
  ok: false;
  code: WorkerFailureCode;
  message: string;
  /** Set with `text_too_long`: how many phoneme tokens the text needed. */
  tokens?: number;
}

export type SynthResult = SynthSuccess | SynthFailure;

/** What every worker receives as `workerData`. */
export interface WorkerInit {
  modelPath: string;
  intraOpThreads: number;
  enableCpuMemArena: boolean;
  /** Fault markers (`[[stall]]`, `[[hang]]`…) are honoured only when true. */
  faultInjection: boolean;
  /** Below this level a sample is silence (KOKORO_SILENCE_THRESHOLD_DBFS). */
  silenceThresholdDbfs?: number;
  /** The synthetic stall model, loaded beside the configured model when fault injection is on. */
  stallModelPath?: string;
  /** The native-code handshake (src/shared/native-slots.ts), one slot per live worker. */
  nativeSlots?: SharedArrayBuffer;
  /** Which onnxruntime to run on (KOKORO_ORT, KOKORO_ORT_DIR; src/runtime/resolve.ts); default auto. */
  ort?: { choice: string; cacheRoot: string | undefined };
  /**
   * One Int32 flag shared by every worker of the pool: the first worker to load claims it
   * and times the calibration sentences for the host's cost model (src/synth/cost-model.ts),
   * once per process, so a respawn never pays for it again.
   */
  calibration?: SharedArrayBuffer;
  /** Time words (KOKORO_WORD_TIMING); default true. False: no durations are sought and no words aligned. */
  wordTiming?: boolean;
  /**
   * Where a model prepared to output durations is cached when the model's own directory is
   * read-only (workers/kokoro/durations-model.ts); default <project>/.cache/models.
   */
  modelCacheDir?: string;
}

/** Why a worker cannot time words (workers/kokoro/durations-model.ts); logged by the main thread. */
export type TimingUnavailableReason =
  | 'not_requested'
  | 'model_unreadable'
  | 'duration_tensor_not_found'
  | 'duration_tensor_ambiguous'
  | 'prepared_model_unwritable'
  | 'prepared_model_failed';

/** Whether a loaded worker gives word times: the model's durations, and where they came from. */
export type WordTimingSupport =
  | { ok: true; output: string; prepared: boolean }
  | { ok: false; reason: TimingUnavailableReason; message: string };

/** One timed synthesis of a calibration sentence (worker warm-up). */
export interface CalibrationRun {
  text: string;
  computeMs: number;
  samples: number;
  silentSamples: number;
  sampleRate: number;
}

/** Events a worker posts on its parentPort; Piscina re-emits them as the pool's 'message'. */
export type WorkerEvent =
  | { type: 'loaded'; threadId: number; slot: number; loadMs: number; inputNames: string[]; outputNames: string[]; runtime: RuntimeInfo; timing: WordTimingSupport; calibration?: CalibrationRun[] }
  | { type: 'load_failed'; threadId: number; slot: number; code: 'model_load_failed'; message: string }
  | { type: 'started'; threadId: number; slot: number; taskId: number };

export function isWorkerEvent(value: unknown): value is WorkerEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    typeof (value as { threadId?: unknown }).threadId === 'number'
  );
}
