/**
 * Every fault marker, alone and interleaved with healthy chunks under concurrency
 * (matrix A1, A2, A5, A7, A10 and friends): the faulty chunk ends with its code after
 * the retry, healthy chunks succeed, the next task succeeds, and the pool returns to plan.
 */
import t from 'tap';
import type { SynthPool } from '../../src/synth/pool.ts';
import { hasAudio, nextEvent, outcomes, planRestored, startPool } from '../helpers/pool.ts';

const FAST_DEADLINES = { runTimeoutBaseMs: 1500, runTimeoutPerTokenMs: 0, runTimeoutMaxMs: 1500, zombieGraceMs: 400, workerHeapMb: 96 };

async function counter(metric: { get(): Promise<{ values: { value: number; labels: object }[] }> }, labels: object = {}): Promise<number> {
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((s, v) => s + v.value, 0);
}

const say = (pool: SynthPool, text: string, owner = 'o') => pool.synthesize({ text, voice: 'af_heart', speed: 1, owner });

const cases = [
  { marker: '[[hang]]', code: 'tts_chunk_timeout', respawns: 2 },
  { marker: '[[crash]]', code: 'tts_chunk_failed', respawns: 2 },
  { marker: '[[oom]]', code: 'tts_chunk_failed', respawns: 2 },
  { marker: '[[error]]', code: 'tts_chunk_failed', respawns: 0 },
];

for (const { marker, code, respawns } of cases) {
  t.test(`${marker} alone, then interleaved with healthy chunks`, async (t) => {
    const { pool, metrics } = await startPool(FAST_DEADLINES);
    t.teardown(() => pool.close());
    t.equal(await say(pool, `${marker} Faulty.`).catch((e: { code: string }) => e.code), code, 'fails with its code after the retry');
    await planRestored(pool);
    t.equal(await counter(metrics.respawns), respawns, `${respawns} workers replaced`);
    t.ok(hasAudio(await say(pool, 'The next one works.')), 'a following task succeeds with audio');

    const mixed = await outcomes([
      say(pool, 'Healthy one.', 'a'),
      say(pool, `${marker} Faulty again.`, 'b'),
      say(pool, 'Healthy two.', 'a'),
      say(pool, 'Healthy three.', 'c'),
      say(pool, 'Healthy four.', 'b'),
    ]);
    t.equal(mixed[1], code);
    t.ok([0, 2, 3, 4].every((i) => hasAudio(mixed[i])), 'every healthy chunk succeeded with audio');
    await planRestored(pool);
    // An extra thread Piscina may have spawned beside a dying one retires once idle (5 s).
    while (pool.health().liveWorkers > pool.plan.workers) await nextEvent(pool, 'workers_changed', 30_000);
    const h = pool.health();
    t.equal(h.liveWorkers, pool.plan.workers, 'live workers back to plan');
    t.equal(h.inFlight, 0);
  });
}

t.test('A6 an uncaught exception after a task is counted and the thread replaced', async (t) => {
  const { pool, metrics } = await startPool(FAST_DEADLINES);
  t.teardown(() => pool.close());
  const gone = nextEvent<number>(pool, 'workers_changed', 30_000);
  const out = await say(pool, '[[throw_after]] The chunk itself is fine.');
  t.ok(out.pcm.length > 0, 'the audio came back before the throw');
  t.ok((await gone) < pool.plan.workers, 'the thread that threw has exited');
  await planRestored(pool);
  t.equal(await counter(metrics.poolErrors), 1, "the pool 'error' was handled and counted");
  t.equal(pool.health().respawns, 1, 'and the thread was replaced');
  t.equal(pool.health().liveWorkers, pool.plan.workers);
  t.ok(hasAudio(await say(pool, 'The next one works.')), 'the next chunk has audio');
});

t.test('[[slow:MS]] only delays the chunk', async (t) => {
  const { pool, metrics } = await startPool(FAST_DEADLINES);
  t.teardown(() => pool.close());
  const out = await say(pool, '[[slow:400]] Slow but fine.');
  t.ok(out.synthMs >= 400);
  t.equal(await counter(metrics.respawns), 0);
});

t.test('a busy pool never kills healthy workers: queue wait is not run time (A14)', async (t) => {
  const { pool, metrics } = await startPool({ ...FAST_DEADLINES, workers: 1 });
  t.teardown(() => pool.close());
  // 6 chunks of 600 ms each on one worker: the last waits ~3 s, twice the run deadline.
  const all = await outcomes(Array.from({ length: 6 }, (_, i) => say(pool, `[[slow:600]] Chunk ${i}.`, `o${i}`)));
  t.ok(all.every(hasAudio), 'all delivered with audio');
  t.equal(await counter(metrics.timeouts), 0);
  t.equal(await counter(metrics.respawns), 0);
});

t.test('native stall: abandoned (never terminated), zombie tracked, readiness false past grace, then recovered (A2)', async (t) => {
  const { pool, metrics } = await startPool({ ...FAST_DEADLINES, chunkRetries: 0 });
  t.teardown(() => pool.close());
  const escalated = nextEvent<{ threadId: number; ageMs: number }>(pool, 'zombie_escalation', 10_000);
  const failed = say(pool, '[[stall:12000]] Stuck.').catch((e: { code: string }) => e.code);
  const healthy = say(pool, 'Healthy alongside.', 'other');
  t.equal(await failed, 'tts_chunk_timeout');
  t.ok(hasAudio(await healthy), 'the healthy chunk beside it has audio');
  const [stuck] = pool.health().zombies;
  t.equal(stuck?.kind, 'native', 'the thread is still inside native code, counted as a zombie');
  const zombie = await escalated;
  t.ok(zombie.ageMs >= 390, 'escalated only past the grace');
  const h = pool.health();
  t.equal(h.ready, false);
  t.ok(h.reasons.includes('worker_zombie'));
  t.equal(await counter(metrics.zombies), 1);
  const both = await outcomes([say(pool, 'Capacity is kept.', 'a'), say(pool, 'At the full plan.', 'b')]);
  t.ok(both.every(hasAudio), 'two chunks at once still succeed with audio');
  // When the native call returns the thread exits and the zombie is gone.
  while (pool.health().zombies.length > 0) await nextEvent(pool, 'zombies_changed', 60_000);
  await planRestored(pool);
  t.equal(pool.health().ready, true, 'ready again');
});
