/**
 * A chunk in the pool (a Job) and each try at it on a worker (an Attempt), with the two
 * deadlines that bound them: the queue deadline (KOKORO_QUEUE_TIMEOUT_MS, armed while
 * the job waits for a worker) and the run deadline (armed when a worker starts the
 * attempt, so queue wait never counts).
 */
import type { Config } from '../config.ts';
import { TtsError } from '../errors.ts';
import { LANGUAGES } from '../shared/languages.ts';
import { parseVoice } from '../shared/voices.ts';
import { estimateTokens } from '../common/token-estimate.ts';
import type { Lane } from './fair-queue.ts';
import type { SynthRequest, SynthSuccess } from '../shared/protocol.ts';
import type { SynthesizeRequest, SynthesizedAudio } from './types.ts';

export interface Attempt {
  taskId: number;
  controller: AbortController;
  threadId?: number;
  slot?: number;
  /** Passed its deadline in native code: its job moved on; the thread is still busy. */
  abandoned: boolean;
  runTimer?: NodeJS.Timeout;
  timedOut: boolean;
  startedAt?: number;
}

export interface Job {
  req: SynthesizeRequest;
  enqueuedAt: number;
  queueMs: number;
  synthMs: number;
  tries: number;
  queueTimer?: NodeJS.Timeout;
  attempt?: Attempt;
  settled: boolean;
  resolve(audio: SynthesizedAudio): void;
  reject(err: TtsError): void;
  onAbort?: () => void;
}

/**
 * Run deadline for a chunk: a base plus a per-token allowance, capped. The tokens are the
 * chunker's pessimistic estimate from the text (the worker has not phonemized it yet when
 * the deadline is armed), so digits, symbols and emoji get the time they really need.
 */
export function runDeadlineMs(config: Pick<Config, 'runTimeoutBaseMs' | 'runTimeoutPerTokenMs' | 'runTimeoutMaxMs'>, text: string): number {
  return Math.min(config.runTimeoutMaxMs, config.runTimeoutBaseMs + config.runTimeoutPerTokenMs * estimateTokens(text));
}

/** The queue lane of a request: urgent when a listener waits on it (fair-queue.ts). */
export const laneOf = (req: SynthesizeRequest): Lane => (req.urgent === true ? 'urgent' : 'normal');

/** An attempt's end: its run deadline is cleared and its time on the worker counted. */
export function finishAttempt(job: Job, attempt: Attempt): void {
  clearTimeout(attempt.runTimer);
  if (attempt.startedAt !== undefined) job.synthMs += performance.now() - attempt.startedAt;
}

/** The worker's task for one attempt at a job: only what crosses the thread line. */
export function taskOf(job: Job, taskId: number): SynthRequest {
  const { text, voice, speed, lang, words } = job.req;
  return { taskId, text, voice, speed, ...(lang !== undefined ? { lang } : {}), ...(words === true ? { words: true } : {}) };
}

/** A worker's success as the job's audio, with the job's own queue and synthesis times. */
export function audioOf(job: Job, result: SynthSuccess): SynthesizedAudio {
  const { pcm, sampleRate, tokens, silence, words } = result;
  return { pcm, sampleRate, queueMs: job.queueMs, synthMs: job.synthMs, provider: 'local', tokens, silence, ...(words !== undefined ? { words } : {}) };
}

/** Resolves or rejects a job once; its queue deadline and abort listener go with it. */
export function settleJob(job: Job, err: TtsError | null, audio?: SynthesizedAudio): void {
  if (job.settled) return;
  job.settled = true;
  clearTimeout(job.queueTimer);
  if (job.onAbort !== undefined) job.req.signal?.removeEventListener('abort', job.onAbort);
  if (err !== null) job.reject(err);
  else job.resolve(audio!);
}

/** Why a request is refused before it is queued (the caller's mistakes), or null. */
export function refusal(req: SynthesizeRequest): TtsError | null {
  const voice = parseVoice(req.voice);
  if (!voice.ok) return new TtsError('invalid_voice', voice.message);
  if (!Number.isFinite(req.speed) || req.speed < 0.25 || req.speed > 4) return new TtsError('invalid_speed', 'speed must be between 0.25 and 4');
  if (req.lang !== undefined && !(LANGUAGES as readonly string[]).includes(req.lang)) return new TtsError('invalid_lang', `unknown lang "${String(req.lang)}"`);
  if (req.text.trim() === '') return new TtsError('empty_text', 'the text is empty');
  if (req.signal?.aborted === true) return new TtsError('cancelled', 'cancelled before queueing');
  return null;
}
