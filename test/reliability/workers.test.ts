/**
 * Reliability matrix section A (inference worker faults) against the real host as a
 * child process, with fault injection on (workers/faults.ts markers in the text) and
 * observed only from outside: WebSocket frames, /readyz, /metrics, /proc and log lines.
 *
 * One host (2 workers, a copy of the synthetic model so that A9 can take it away) serves
 * every row but A13, which needs a fallback upstream: breaker.test.ts. Chunk retries
 * are off so that each fault costs one attempt; the retry path is unit-tested in
 * test/integration/pool-faults.test.ts.
 *
 * Run deadline of a chunk: base + per-token x estimated tokens (src/synth/pool.ts
 * runDeadlineMs), so the short fault phrases here get about 4-5 s, and the [[slow:1500]]
 * chunks of A14 never pass theirs however long they queue.
 */
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { runDeadlineMs } from '../../src/synth/pool.ts';
import { audioChunks, type WsClient } from '../helpers/gateway.ts';
import { collect, openReady, turn } from '../helpers/native-turns.ts';
import { HostProcess, SYNTHETIC_MODEL, until, type LogLine } from '../../harness/host-process.ts';

const RUN_BASE_MS = 3000;
const RUN_PER_TOKEN_MS = 20;
const ZOMBIE_GRACE_MS = 1000;
const MAX_QUEUE = 6;
const WORKERS = 2;
const RUN_MAX_MS = 6000;
/** Set explicitly: a chunk that waits this long for a worker fails, so every wait below has a bound. */
const QUEUE_TIMEOUT_MS = 20_000;
/** Timer firing and frame delivery on a busy runner, beyond the host's own deadlines. */
const DELIVERY_SLACK_MS = 3000;

/** The host's run deadline for a chunk of this text. */
function deadlineOf(text: string): number {
  return runDeadlineMs({ runTimeoutBaseMs: RUN_BASE_MS, runTimeoutPerTokenMs: RUN_PER_TOKEN_MS, runTimeoutMaxMs: RUN_MAX_MS }, text);
}

const modelDir = mkdtempSync(join(tmpdir(), 'kokoro-model-'));
const modelPath = join(modelDir, 'model.onnx');
copyFileSync(SYNTHETIC_MODEL, modelPath);
t.teardown(() => rmSync(modelDir, { recursive: true, force: true }));

const host = await HostProcess.start({
  env: {
    KOKORO_MODEL: modelPath,
    KOKORO_WORKERS: String(WORKERS),
    KOKORO_RUN_TIMEOUT_BASE_MS: String(RUN_BASE_MS),
    KOKORO_RUN_TIMEOUT_PER_TOKEN_MS: String(RUN_PER_TOKEN_MS),
    KOKORO_RUN_TIMEOUT_MAX_MS: String(RUN_MAX_MS),
    KOKORO_CHUNK_RETRIES: '0',
    KOKORO_ZOMBIE_GRACE_MS: String(ZOMBIE_GRACE_MS),
    KOKORO_WORKER_HEAP_MB: '96',
    KOKORO_MAX_QUEUE: String(MAX_QUEUE),
    KOKORO_QUEUE_TIMEOUT_MS: String(QUEUE_TIMEOUT_MS),
    KOKORO_RESPAWN_BACKOFF_MAX_MS: '2000',
  },
});
t.teardown(async () => {
  const status = await host.stop();
  if (status.code !== 0) throw new Error(`the host did not exit 0 (${status.signal ?? status.code}); stderr: ${host.stderrTail()}`);
});

// ---------------------------------------------------------------------------------------

const open = (t: Test, url = host.wsUrl): Promise<WsClient> => openReady(t, url);

const loaded = (l: LogLine) => l.msg === 'worker loaded model';

/** Resolves once the plan's workers are all loaded and the host reports ready again. */
function readyAgain(ms = 60_000): Promise<Record<string, number>> {
  return until(async () => {
    const { status, body } = await host.readyz();
    const pool = body.pool as Record<string, number>;
    return status === 200 && pool.loaded_workers! >= WORKERS ? pool : undefined;
  }, ms, 'ready with the whole plan loaded');
}

// ---------------------------------------------------------------------------------------

t.test('A7 inference error: the chunk fails tts_chunk_failed, the turn goes on, the worker is kept (no respawn)', async (t) => {
  const client = await open(t);
  const respawns = await host.metric('kokoro_worker_respawns_total');
  const loads = host.lines(loaded).length;
  const out = await turn(client, '[[error]] A bad tensor here. After the error.', 'a7');
  t.match(out.errors, [{ code: 'tts_chunk_failed', index: 0, recoverable: true }]);
  t.same(out.indices, [1], 'the next chunk was delivered');
  t.match(out.done, { chunks: 2, failed: 1 });
  t.equal(await host.metric('kokoro_worker_respawns_total'), respawns, 'no worker was replaced');
  t.equal(host.lines(loaded).length, loads, 'no model was loaded again');
});

t.test('A12 every chunk fails: one tts_chunk_failed each, then tts_all_failed, then tts_done; the socket stays usable', async (t) => {
  const client = await open(t);
  const out = await turn(client, '[[error]] First bad one. [[error]] Second bad one. [[error]] Third bad one.', 'a12');
  t.same(out.errors.map((e) => [e.code, e.index]), [['tts_chunk_failed', 0], ['tts_chunk_failed', 1], ['tts_chunk_failed', 2], ['tts_all_failed', undefined]]);
  t.match(out.errors.at(-1), { recoverable: true });
  t.match(out.done, { chunks: 3, failed: 3 });
  t.same(out.indices, []);
  const next = await turn(client, 'The same socket works again.', 'a12-next');
  t.match(next.done, { chunks: 1, failed: 0 });
});

t.test('A1 JS hang: the chunk fails tts_chunk_timeout at its deadline, later chunks arrive in order, the worker is replaced, other streams are unaffected', async (t) => {
  const hung = await open(t);
  const other = await open(t);
  const timeouts = await host.metric('kokoro_worker_respawns_total', { reason: 'timeout' });
  const replaced = host.nextLine(loaded, 60_000, 'a replacement worker');
  const faulty = '[[hang]] Second chunk hangs.';
  const t0 = performance.now();
  hung.send({ type: 'speak', text: `First chunk is here. ${faulty} Third chunk is here. Fourth chunk is here.`, turn_id: 'a1' });
  const healthy = turn(other, 'Meanwhile another stream. It keeps going. And going.', 'a1-other');
  const error = await hung.json('error', deadlineOf(faulty) + 15_000);
  const elapsed = performance.now() - t0;
  t.match(error, { code: 'tts_chunk_timeout', index: 1, recoverable: true, turn_id: 'a1' });
  t.ok(elapsed >= deadlineOf(faulty), `failed after ${Math.round(elapsed)} ms, not before its ${deadlineOf(faulty)} ms deadline`);
  const rest = await collect(hung, 'a1');
  t.match(rest.done, { chunks: 4, failed: 1 });
  const indices = audioChunks(hung.frames).map((c) => c.meta.index);
  t.same(indices, [0, 2, 3], 'every other chunk, in order');
  const others = await healthy;
  t.match(others.done, { chunks: 3, failed: 0 }, 'the other stream lost nothing');
  t.same(others.indices, [0, 1, 2]);
  await replaced;
  t.equal(await host.metric('kokoro_worker_respawns_total', { reason: 'timeout' }), timeouts + 1, 'one worker replaced for the timeout');
  await readyAgain();
});

t.test('A5 worker crash mid-task: tts_chunk_failed, the pool is back to plan, the stream continues', async (t) => {
  const client = await open(t);
  const crashes = await host.metric('kokoro_worker_crashes_total', { kind: 'exit' });
  const replaced = host.nextLine(loaded, 60_000, 'a replacement worker');
  const out = await turn(client, 'Before the crash. [[crash]] The worker dies here. After the crash.', 'a5');
  t.match(out.errors, [{ code: 'tts_chunk_failed', index: 1 }]);
  t.same(out.indices, [0, 2]);
  t.match(out.done, { chunks: 3, failed: 1 });
  t.equal(await host.metric('kokoro_worker_crashes_total', { kind: 'exit' }), crashes + 1);
  await replaced;
  t.match(await readyAgain(), { live_workers: WORKERS, loaded_workers: WORKERS }, 'back to plan');
});

t.test('A10 worker heap OOM: tts_chunk_failed, counted as oom, respawned, the host unaffected', async (t) => {
  const client = await open(t);
  const ooms = await host.metric('kokoro_worker_crashes_total', { kind: 'oom' });
  const replaced = host.nextLine(loaded, 60_000, 'a replacement worker');
  const out = await turn(client, '[[oom]] Out of memory here. After the OOM.', 'a10');
  t.match(out.errors, [{ code: 'tts_chunk_failed', index: 0 }]);
  t.same(out.indices, [1]);
  t.equal(await host.metric('kokoro_worker_crashes_total', { kind: 'oom' }), ooms + 1, 'counted as an out-of-memory crash');
  await replaced;
  t.equal((await host.get('/healthz')).status, 200);
  await readyAgain();
});

t.test('A6 an uncaught exception after a task: the pool error is handled and counted, the host lives, the worker is replaced', async (t) => {
  // Wait out the idle extra threads earlier rows left (they retire after 5 s idle), so the
  // thread that throws is one of the plan's: Piscina replaces those, not extras.
  await until(async () => ((await host.pool()).live_workers === WORKERS ? true : undefined), 30_000, 'the pool back to its plan', 250);
  const client = await open(t);
  const errors = await host.metric('kokoro_pool_errors_total');
  const replaced = host.nextLine(loaded, 60_000, 'a replacement worker');
  const out = await turn(client, '[[throw_after]] This chunk itself is fine.', 'a6');
  t.match(out.done, { chunks: 1, failed: 0 }, 'the task had already returned its audio');
  t.same(out.indices, [0]);
  await replaced;
  t.equal(await host.metric('kokoro_pool_errors_total'), errors + 1, "the pool's 'error' event was handled and counted");
  t.ok(host.lines((l) => l.msg === 'worker pool error' && /uncaught exception after the task/.test(String((l.err as { message?: string })?.message))).length > 0, 'and logged with its message');
  t.equal((await host.get('/healthz')).status, 200, 'the host process was not killed');
  await readyAgain();
  t.match((await turn(client, 'And the next one works.', 'a6-after')).done, { failed: 0 });
});

t.test('A14 queue saturation: excess work is refused overloaded at once; no healthy worker is terminated for waiting', async (t) => {
  const timeouts = await host.metric('kokoro_chunk_timeouts_total');
  const respawns = await host.metric('kokoro_worker_respawns_total');
  const clients = await Promise.all([open(t), open(t), open(t), open(t)]);
  // Three turns of three slow chunks: 2 run, MAX_QUEUE (6) wait, the ninth finds the queue full.
  const turns = clients.slice(0, 3).map((c, n) => turn(c, '[[slow:1500]] Queued chunk one. [[slow:1500]] Queued chunk two. [[slow:1500]] Queued chunk three.', `a14-${n}`, 120_000));
  await until(async () => ((await host.pool()).queue_depth === MAX_QUEUE ? true : undefined), 10_000, 'the queue to fill', 50);
  const late = clients[3]!;
  late.send({ type: 'speak', text: 'No room for this one.', turn_id: 'a14-late' });
  t.match(await late.json('error'), { code: 'overloaded', recoverable: true, turn_id: 'a14-late' }, 'a WebSocket message is refused at once');
  const http = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tts-1', input: 'No room.' }) });
  t.equal(http.status, 503, 'an HTTP request is refused at once');
  t.ok(http.headers.get('retry-after') !== null, 'with Retry-After');
  t.match(await http.json(), { error: { code: 'overloaded' } });
  const outcomes = await Promise.all(turns);
  const delivered = outcomes.reduce((n, o) => n + o.indices.length, 0);
  const failed = outcomes.flatMap((o) => o.errors.filter((e) => e.index !== undefined));
  t.equal(delivered + failed.length, 9, 'every chunk was delivered or failed with a code');
  t.ok(failed.every((e) => e.code === 'tts_chunk_failed'), `refused chunks: ${JSON.stringify(failed.map((e) => e.code))}`);
  t.ok(delivered >= 2 + MAX_QUEUE, `${delivered} chunks delivered: everything accepted into the queue`);
  t.equal(await host.metric('kokoro_chunk_timeouts_total'), timeouts, 'queue wait never counted as run time');
  t.equal(await host.metric('kokoro_worker_respawns_total'), respawns, 'no worker was terminated');
  late.send({ type: 'speak', text: 'Room again.', turn_id: 'a14-after' });
  t.match(await late.json('tts_done', 30_000), { turn_id: 'a14-after', failed: 0 }, 'the refused session was left usable');
});

t.test('A9 a replacement cannot load the model: below plan, retried with a growing backoff, recovers when the model is back', async (t) => {
  const client = await open(t);
  renameSync(modelPath, `${modelPath}.away`);
  let restored = false;
  const restore = () => {
    if (!restored) renameSync(`${modelPath}.away`, modelPath);
    restored = true;
  };
  t.teardown(restore);
  const failures: LogLine[] = [];
  const failed = (l: LogLine) => l.msg === 'worker failed to load the model';
  const threeFailures = (async () => {
    while (failures.length < 3) failures.push(await host.nextLine(failed, 60_000, 'a failed model load'));
  })();
  await turn(client, '[[crash]] The worker dies here.', 'a9');
  await threeFailures;
  const { status, body } = await host.readyz();
  t.equal(status, 503, 'not ready while below plan');
  t.ok((body.reasons as string[]).includes('workers_below_plan'), `reasons: ${JSON.stringify(body.reasons)}`);
  t.equal((body.pool as Record<string, number>).loaded_workers, WORKERS - 1);
  // Fibonacci backoff (100 ms x 1, 1, 2, 3, ...) before each retire-and-respawn: attempts never hot-loop.
  const gaps = failures.slice(1).map((l, i) => (l.time as number) - (failures[i]!.time as number));
  t.ok(gaps[0]! >= 100 && gaps[1]! >= 100, `gaps between failed loads: ${JSON.stringify(gaps)} ms`);
  const back = host.nextLine(loaded, 60_000, 'a worker loaded again');
  restore();
  await back;
  await readyAgain();
  t.match((await turn(client, 'Whole again.', 'a9-after')).done, { failed: 0 });
});

t.test('A2 uninterruptible native stall: abandoned at its deadline (tts_chunk_timeout), counted as a zombie, an extra thread serves, readiness drops past the grace, all restored when the call returns, and the extra thread retires', async (t) => {
  // Earlier rows replace workers: start from exactly the plan, loaded and with no extra
  // thread, so the stalled chunk runs at once (its error is due at its run deadline; the
  // queue timeout bounds it anyway) and the next extra thread to retire is this row's.
  await until(async () => {
    const pool = await host.pool();
    return pool.live_workers === WORKERS && pool.loaded_workers === WORKERS && pool.zombies === 0 ? pool : undefined;
  }, 60_000, 'exactly the plan, loaded');
  const retired = host.nextLine((l) => l.msg === 'extra worker thread retired', 120_000, 'the extra thread to retire');
  const [stuck, one, two] = await Promise.all([open(t), open(t), open(t)]);
  const threadsBeforeStall = host.procStatus().threads;
  const stalls = await host.metric('kokoro_worker_respawns_total', { reason: 'native_stall' });
  const faulty = '[[stall:8000]] Stuck.';
  const t0 = performance.now();
  stuck.send({ type: 'speak', text: faulty, turn_id: 'a2' });
  t.match(await stuck.json('error', QUEUE_TIMEOUT_MS + deadlineOf(faulty) + DELIVERY_SLACK_MS), { code: 'tts_chunk_timeout', index: 0 });
  t.ok(performance.now() - t0 >= deadlineOf(faulty), 'not before its deadline');
  t.match(await stuck.json('tts_done'), { chunks: 1, failed: 1 });
  const zombies = await until(async () => {
    const pool = await host.pool();
    return pool.zombies === 1 ? pool : undefined;
  }, 2000, 'one zombie reported', 50);
  t.equal(zombies.zombies, 1, 'the stuck thread is counted');
  t.equal(await host.metric('kokoro_worker_zombies'), 1, 'and exported');
  t.equal(await host.metric('kokoro_worker_respawns_total', { reason: 'native_stall' }), stalls + 1, 'counted as a native stall');
  // Full capacity meanwhile: two chunks at once, beside the stuck thread, need an extra thread.
  const extra = host.nextLine(loaded, 30_000, 'an extra worker');
  const served = await Promise.all([turn(one, 'The plan keeps its capacity.', 'a2-one'), turn(two, 'Two chunks at once.', 'a2-two')]);
  t.ok(served.every((o) => o.done.failed === 0), 'both served while the thread is stuck');
  await extra;
  const notReady = await until(async () => {
    const r = await host.readyz();
    return r.status === 503 ? r : undefined;
  }, ZOMBIE_GRACE_MS + 3000, 'not ready past the zombie grace', 50);
  t.ok((notReady.body.reasons as string[]).includes('worker_zombie'), `reasons: ${JSON.stringify(notReady.body.reasons)}`);
  t.equal((await host.get('/healthz')).status, 200, 'still alive');
  // The native call returns after 8 s: the zombie is gone, its thread serves again.
  await host.line((l) => l.msg === 'abandoned native call returned; its thread serves again', 30_000, 'the stuck call to return');
  await until(async () => ((await host.pool()).zombies === 0 ? true : undefined), 10_000, 'the zombie gone');
  await readyAgain();
  t.equal(await host.metric('kokoro_worker_zombies'), 0);
  t.match((await turn(stuck, 'Back to normal.', 'a2-after')).done, { failed: 0 });
  // The extra thread spawned beside the stuck one retires after Piscina's idle timeout (5 s, src/synth/pool.ts).
  await retired;
  await until(async () => (host.procStatus().threads === threadsBeforeStall ? true : undefined), 10_000, `threads back to ${threadsBeforeStall}`, 100);
  t.match(await host.pool(), { live_workers: WORKERS, zombies: 0 });
});
