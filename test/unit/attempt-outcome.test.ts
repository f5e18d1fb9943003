/**
 * Retry or settle, the pool's one rule for an attempt that ended without audio: a chunk
 * gets KOKORO_CHUNK_RETRIES more tries unless its caller gave up or the pool is closing,
 * and then fails with the code that says why its last try ended.
 */
import t from 'tap';
import { attemptOutcome, type AttemptEnd } from '../../src/synth/attempt-outcome.ts';

const lost = (timedOut: boolean, reason: 'timeout' | 'oom' | 'crash' = timedOut ? 'timeout' : 'crash'): AttemptEnd => ({ kind: 'thread_lost', timedOut, reason, message: 'gone' });
const policy = { retries: 1, closing: false };

t.test('a deadline or a lost thread is retried while tries remain, then fails with its own code', (t) => {
  for (const end of [{ kind: 'native_deadline' } as const, lost(true), lost(false), lost(false, 'oom')]) {
    t.same(attemptOutcome(end, { tries: 1, settled: false }, policy), { retry: true }, `${end.kind}: first try is retried`);
  }
  t.match(attemptOutcome({ kind: 'native_deadline' }, { tries: 2, settled: false }, policy), { retry: false, code: 'tts_chunk_timeout' });
  t.match(attemptOutcome(lost(true), { tries: 2, settled: false }, policy), { retry: false, code: 'tts_chunk_timeout' });
  t.match(attemptOutcome(lost(false), { tries: 2, settled: false }, policy), { retry: false, code: 'tts_chunk_failed' });
  t.match(attemptOutcome(lost(false, 'oom'), { tries: 2, settled: false }, policy), { retry: false, code: 'tts_chunk_failed', message: /oom/ });
  t.end();
});

t.test('KOKORO_CHUNK_RETRIES bounds the tries: 0 never retries, 3 retries three times', (t) => {
  t.match(attemptOutcome(lost(false), { tries: 1, settled: false }, { retries: 0, closing: false }), { retry: false });
  for (let tries = 1; tries <= 3; tries++) t.same(attemptOutcome(lost(false), { tries, settled: false }, { retries: 3, closing: false }), { retry: true }, `try ${tries}`);
  t.match(attemptOutcome(lost(false), { tries: 4, settled: false }, { retries: 3, closing: false }), { retry: false, message: /4 tries/ });
  t.end();
});

t.test('a settled chunk or a closing pool is never retried', (t) => {
  t.match(attemptOutcome(lost(false), { tries: 1, settled: true }, policy), { retry: false, code: 'tts_chunk_failed' });
  t.match(attemptOutcome({ kind: 'native_deadline' }, { tries: 1, settled: false }, { retries: 1, closing: true }), { retry: false, code: 'tts_chunk_timeout' });
  t.match(attemptOutcome({ kind: 'refused', code: 'not_loaded', message: 'x' }, { tries: 1, settled: false }, { retries: 1, closing: true }), { retry: false, code: 'tts_chunk_failed' });
  t.end();
});

t.test('a worker refusal: only not_loaded is retried; the caller’s mistakes keep their code', (t) => {
  t.same(attemptOutcome({ kind: 'refused', code: 'not_loaded', message: 'x' }, { tries: 1, settled: false }, policy), { retry: true });
  t.match(attemptOutcome({ kind: 'refused', code: 'not_loaded', message: 'x' }, { tries: 2, settled: false }, policy), { retry: false, code: 'tts_chunk_failed' });
  t.match(attemptOutcome({ kind: 'refused', code: 'inference_error', message: 'x' }, { tries: 1, settled: false }, policy), { retry: false, code: 'tts_chunk_failed' });
  for (const code of ['invalid_voice', 'invalid_speed', 'empty_text', 'text_too_long'] as const) {
    t.same(attemptOutcome({ kind: 'refused', code, message: 'm' }, { tries: 1, settled: false }, policy), { retry: false, code, message: 'm' }, code);
  }
  t.end();
});
