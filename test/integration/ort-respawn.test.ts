/**
 * onnxruntime-node has a history of crashing when worker threads that hold a session
 * are terminated and re-created in one process (matrix 1.5, rows A3 and A4). Our
 * respawn path does exactly that, so these run on every change: keep them on every
 * bump of onnxruntime-node or Node.
 */
import { Piscina } from 'piscina';
import t from 'tap';
import type { SynthResult, WorkerInit } from '../../src/shared/protocol.ts';
import { SYNTHETIC_MODEL, nextEvent, outcomes, planRestored, startPool } from '../helpers/pool.ts';

const WORKER = new URL('../../workers/synth.worker.ts', import.meta.url).pathname;
const CYCLES = 50;

t.test('A4: two sequential workers each load and run', async (t) => {
  const init: WorkerInit = { modelPath: SYNTHETIC_MODEL, intraOpThreads: 1, enableCpuMemArena: false, faultInjection: false };
  for (const round of [1, 2]) {
    const piscina = new Piscina({ filename: WORKER, minThreads: 1, maxThreads: 1, workerData: init });
    const result = (await piscina.run({ taskId: round, text: 'Second worker check.', voice: 'af_heart', speed: 1 })) as SynthResult;
    t.equal(result.ok, true, `worker ${round} synthesized`);
    await piscina.destroy();
  }
});

t.test(`A3: ${CYCLES} cycles of terminate -> new worker loads onnxruntime -> run`, async (t) => {
  // Each cycle terminates a worker that holds a live session (hung in JavaScript, where
  // terminating is safe) and makes Piscina load onnxruntime-node in a fresh thread.
  // A short deadline for the 9-character hang chunk, a generous one for the long healthy chunk.
  const { pool, metrics } = await startPool({ workers: 1, runTimeoutBaseMs: 100, runTimeoutPerTokenMs: 60, runTimeoutMaxMs: 20_000, chunkRetries: 0 });
  t.teardown(() => pool.close());
  const rss: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const [code] = await outcomes([pool.synthesize({ text: '[[hang]]x', voice: 'af_heart', speed: 1, owner: 'loop' })]);
    if (code !== 'tts_chunk_timeout') t.fail(`cycle ${i}: expected a timeout, got ${JSON.stringify(code)}`);
    await planRestored(pool);
    const out = await pool.synthesize({ text: `Cycle ${i}: the replacement worker loaded onnxruntime and serves this longer sentence.`, voice: 'af_heart', speed: 1, owner: 'loop' });
    if (out.pcm.length === 0) t.fail(`cycle ${i}: no audio`);
    rss.push(process.memoryUsage.rss());
  }
  t.equal((await metrics.timeouts.get()).values[0]?.value, CYCLES, 'every cycle terminated a worker');
  t.equal(pool.health().respawns, CYCLES, 'and every replacement loaded the model and served');
  const perCycleMb = (rss.at(-1)! - rss[9]!) / (CYCLES - 10) / 2 ** 20;
  t.ok(perCycleMb < 8, `RSS grows ${perCycleMb.toFixed(2)} MB per respawn after warm-up`);
});

t.test('A3: deadlines that strike inside a real onnxruntime run never abort the process', async (t) => {
  // A tiny run deadline on a long chunk: the deadline fires inside session.run. The pool
  // abandons the thread (terminating it there would abort the process) and it serves again
  // once the call returns.
  const { pool, metrics } = await startPool({ workers: 1, runTimeoutBaseMs: 150, runTimeoutPerTokenMs: 0, runTimeoutMaxMs: 150, chunkRetries: 0, zombieGraceMs: 60_000 });
  t.teardown(() => pool.close());
  for (let i = 0; i < 20; i++) {
    // The stall model's session.run takes ~600 ms of real onnxruntime compute.
    const [code] = await outcomes([pool.synthesize({ text: '[[stall:600]]x', voice: 'af_heart', speed: 1, owner: 'loop' })]);
    if (code !== 'tts_chunk_timeout') t.fail(`cycle ${i}: expected a timeout, got ${JSON.stringify(code)}`);
    if (pool.health().zombies.length > 0) await nextEvent(pool, 'zombies_changed', 30_000);
  }
  t.equal(pool.health().zombies.length, 0, 'every abandoned call returned');
  const natives = (await metrics.respawns.get()).values.find((v) => v.labels.reason === 'native_stall')?.value;
  t.equal(natives, 20, 'all 20 deadlines struck inside native code');
  const out = await pool.synthesize({ text: 'Still alive.', voice: 'af_heart', speed: 1, owner: 'after' });
  t.ok(out.pcm.length > 0, 'a normal request succeeds afterwards');
});
