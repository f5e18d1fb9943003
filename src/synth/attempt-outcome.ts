/**
 * Retry or settle: what becomes of a chunk when one attempt at it ends without audio. One
 * pure function, so every way an attempt can end is decided in one place, by the same
 * rule: a chunk gets `retries` more tries on a fresh worker, unless it is already settled
 * (its caller gave up) or the pool is closing; after that it fails with the code that says
 * why the last try ended.
 */
import type { ErrorCode } from '../errors.ts';
import type { WorkerFailureCode } from '../shared/protocol.ts';

export type AttemptEnd =
  /** Its run deadline struck inside native code: the thread is abandoned, the chunk moves on. */
  | { kind: 'native_deadline' }
  /** Its thread died: terminated at the run deadline (timedOut), ran out of memory, or crashed. */
  | { kind: 'thread_lost'; timedOut: boolean; reason: 'timeout' | 'oom' | 'crash'; message: string }
  /** The worker answered with a failure as data. */
  | { kind: 'refused'; code: WorkerFailureCode; message: string };

export interface JobState {
  /** Attempts made so far, this one included. */
  tries: number;
  /** The chunk was already settled (its caller aborted, or its queue deadline passed). */
  settled: boolean;
}

export interface RetryPolicy {
  /** KOKORO_CHUNK_RETRIES. */
  retries: number;
  closing: boolean;
}

export type AttemptOutcome = { retry: true } | { retry: false; code: ErrorCode; message: string };

/** Only a worker that could not use its model, a deadline or a lost thread is worth another try. */
function retriable(end: AttemptEnd): boolean {
  return end.kind !== 'refused' || end.code === 'not_loaded';
}

export function attemptOutcome(end: AttemptEnd, job: JobState, policy: RetryPolicy): AttemptOutcome {
  if (retriable(end) && job.tries <= policy.retries && !job.settled && !policy.closing) return { retry: true };
  switch (end.kind) {
    case 'native_deadline':
      return { retry: false, code: 'tts_chunk_timeout', message: `the chunk passed its run deadline on ${job.tries} tries` };
    case 'thread_lost':
      return end.timedOut
        ? { retry: false, code: 'tts_chunk_timeout', message: `the chunk passed its run deadline on ${job.tries} tries` }
        : { retry: false, code: 'tts_chunk_failed', message: `the worker died on ${job.tries} tries (${end.reason}: ${end.message})` };
    case 'refused':
      // An inference error or a model that would not load is this chunk's failure, not the caller's.
      return { retry: false, code: end.code === 'inference_error' || end.code === 'not_loaded' ? 'tts_chunk_failed' : end.code, message: end.message };
  }
}
