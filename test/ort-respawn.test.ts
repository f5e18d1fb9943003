/**
 * onnxruntime-node has a history of crashing when worker threads that hold a session
 * are terminated and re-created in one process (matrix 1.5, rows A3 and A4). Our
 * respawn path does exactly that, so these run on every change: keep them on every
 * bump of onnxruntime-node or Node.
 */
import { Piscina } from 'piscina';
import t from 'tap';
import type { SynthResult, WorkerInit } from '../src/shared/protocol.ts';
import { SYNTHETIC_MODEL, nextEvent, outcomes, planRestored, startPool } from './helpers/pool.ts';

const WORKER = new URL('../workers/synth.worker.ts', import.meta.url).pathname;
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

t.test(`A3: ${CYCLES} cycles of terminate-mid-run -> new worker -> run`, async (t) => {
  // A tiny run deadline on a long chunk: every attempt is terminated inside session.run.
  const { pool, metrics } = await startPool({ workers: 1, runTimeoutBaseMs: 30, runTimeoutPerTokenMs: 0, runTimeoutMaxMs: 30, chunkRetries: 0, zombieGraceMs: 60_000 });
  t.teardown(() => pool.close());
  const long = 'The quick brown fox jumps over the lazy dog again and again, all day long. '.repeat(4);
  const rss: number[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const [code] = await outcomes([pool.synthesize({ text: long, voice: 'af_heart', speed: 1, owner: 'loop' })]);
    if (code !== 'tts_chunk_timeout') t.fail(`cycle ${i}: expected a timeout, got ${JSON.stringify(code)}`);
    await planRestored(pool);
    if (pool.health().zombies.length > 0) await nextEvent(pool, 'zombies_changed', 30_000);
    rss.push(process.memoryUsage.rss());
  }
  const { values } = await metrics.timeouts.get();
  t.equal(values[0]?.value, CYCLES, 'every cycle terminated a worker mid-run');
  t.equal(pool.health().respawns, CYCLES, 'and every replacement loaded the model');
  const out = await pool.synthesize({ text: 'Still alive after the loop.', voice: 'af_heart', speed: 1, owner: 'after' });
  t.ok(out.pcm.length > 0, 'a normal request succeeds afterwards');
  // RSS per respawn after the first ten (warm-up): a leak of a worker's heap per cycle would show here.
  const perCycleMb = (rss.at(-1)! - rss[9]!) / (CYCLES - 10) / 2 ** 20;
  t.ok(perCycleMb < 8, `RSS grows ${perCycleMb.toFixed(2)} MB per respawn`);
});
