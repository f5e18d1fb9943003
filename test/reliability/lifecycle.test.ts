/**
 * Reliability matrix section C (health and lifecycle) and A15, against one real host as
 * a child process, in the order of its life: requests while it starts (C4), readiness
 * under full load (C2), idle cost afterwards (A15), CPU contention (C6), and finally a
 * SIGTERM during ten active streams (C3), which ends it.
 *
 * The host runs the default run deadlines (C6 is about those) and 2 workers.
 * C6 needs stress-ng (Debian package `stress-ng`); without it the row fails, unless
 * KOKORO_ALLOW_MISSING_TOOLS=1 says to skip it.
 */
import t, { type Test } from 'tap';
import { jsonFrames, WsClient } from '../helpers/gateway.ts';
import { cpuSeconds, freePort, HostProcess, missingTool, runCommand, toolTestOptions, until, within, type LogLine } from '../../harness/host-process.ts';

const WORKERS = 2;
const GRACE_MS = 4000;
const SENTENCE = 'This sentence becomes about a second of audio. ';

const port = await freePort();
const host = HostProcess.spawn({ env: { PORT: String(port), KOKORO_WORKERS: String(WORKERS), KOKORO_SHUTDOWN_GRACE_MS: String(GRACE_MS) } });
t.teardown(() => host.kill('SIGKILL'));

async function open(t: Test): Promise<WsClient> {
  const client = await WsClient.open(host.wsUrl);
  t.teardown(() => client.ws.terminate());
  await client.json('ready');
  return client;
}

function poolIdle(ms = 60_000): Promise<true> {
  return until(async () => ((await host.pool()).in_flight === 0 ? true : undefined), ms, 'pool idle');
}

/** Speaks `turns` turns one after another on `client`; resolves with each tts_done. */
async function talk(client: WsClient, prefix: string, turns: number, text: string): Promise<Record<string, unknown>[]> {
  const done: Record<string, unknown>[] = [];
  for (let i = 0; i < turns; i++) {
    client.send({ type: 'speak', text, turn_id: `${prefix}-${i}` });
    done.push(await client.json('tts_done', 120_000));
  }
  return done;
}

let threadsAtStart = 0;

t.test('C4 startup ordering: while the model loads, requests are refused at once (never hang) until the host is ready', async (t) => {
  const outcomes: string[] = [];
  let ready = false;
  const readyLine = host.ready().then(() => (ready = true));
  const url = `http://127.0.0.1:${port}`;
  while (!ready) {
    const [http, ws] = await Promise.allSettled([
      fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(async (r) => (await r.arrayBuffer(), `readyz ${r.status}`)),
      WsClient.open(`ws://127.0.0.1:${port}/v1/tts/ws`, { handshakeTimeout: 2000 }).then((c) => (c.ws.terminate(), 'ws open')),
    ]);
    for (const r of [http, ws]) {
      if (r.status === 'fulfilled') outcomes.push(r.value);
      else {
        const err = r.reason as Error & { cause?: { code?: string }; code?: string };
        outcomes.push(err.cause?.code === 'ECONNREFUSED' || err.code === 'ECONNREFUSED' ? 'refused' : `error: ${err.name}: ${err.message}`);
      }
    }
    await Promise.race([readyLine, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  await readyLine;
  const kinds = [...new Set(outcomes)];
  t.ok(outcomes.includes('refused'), `connections were refused while loading (${outcomes.length} attempts)`);
  t.same(kinds.filter((k) => k !== 'refused' && k !== 'readyz 200' && k !== 'ws open'), [], `only refusals or a ready host: ${JSON.stringify(kinds)}`);
  t.equal((await host.readyz()).status, 200, 'ready once listening');
  t.ok(host.lines((l: LogLine) => l.msg === 'worker loaded model').length >= WORKERS, 'every worker had loaded the model before the host listened');
  threadsAtStart = host.procStatus().threads;
  t.comment(`threads after start-up: ${threadsAtStart} (W=${WORKERS}, 1 intra-op thread each)`);
});

t.test('C2 readiness under full load does not flap: busy is not unhealthy', async (t) => {
  const clients = await Promise.all(Array.from({ length: 4 }, () => open(t)));
  const probes: Array<{ status: number; queue: number; busy: number }> = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      const { status, body } = await host.readyz();
      const pool = body.pool as Record<string, number>;
      probes.push({ status, queue: pool.queue_depth!, busy: pool.busy_workers! });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const all = await Promise.all(clients.map((c, i) => talk(c, `load${i}`, 2, SENTENCE.repeat(4))));
  running = false;
  await probing;
  t.ok(all.flat().every((d) => d.failed === 0 && d.chunks === 4), 'every turn delivered every chunk');
  t.ok(probes.some((p) => p.busy === WORKERS && p.queue > 0), `the pool was saturated (max queue ${Math.max(...probes.map((p) => p.queue))})`);
  t.same(probes.filter((p) => p.status !== 200), [], `/readyz stayed 200 on all ${probes.length} probes`);
});

t.test('A15 no spinning: after a burst the idle host uses under 5% of a core, and its thread count is back to where it started', async (t) => {
  await poolIdle();
  // The matrix's 2 s of idle, then a 30 s average. A spinning thread costs a whole core;
  // what an idle host does spend comes in blips: about 8 s after a burst V8's memory reducer
  // GCs each worker (their event loops turn between tasks, Piscina atomics 'async'), 5-15%
  // of a core for a second, sometimes again a few seconds later (measured: with
  // --no-memory-reducer the blips vanish), about 0.3 s of CPU in all on this machine and more
  // on a slower one. 30 s dilutes them well under the bound; a spinning thread stays at 100%.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const before = cpuSeconds(host.pid);
  const windowS = 30;
  await new Promise((resolve) => setTimeout(resolve, windowS * 1000));
  const used = cpuSeconds(host.pid) - before;
  t.ok(used / windowS < 0.05, `idle CPU ${((used / windowS) * 100).toFixed(1)}% of one core`);
  t.equal(host.procStatus().threads, threadsAtStart, 'no threads were added by the burst (fixed-size onnxruntime pools)');
});

t.test('C6 CPU contention (stress-ng --cpu 2): no spurious timeouts, readiness recovers', toolTestOptions('stress-ng'), async (t) => {
  const missing = missingTool('stress-ng');
  if (missing !== null) return void t.fail(missing);
  const timeouts = await host.metric('kokoro_chunk_timeouts_total');
  const stressS = 8;
  const stress = runCommand('stress-ng', ['--cpu', '2', '--timeout', `${stressS}s`, '--quiet'], (stressS + 20) * 1000);
  const clients = await Promise.all([open(t), open(t)]);
  const done = await Promise.all(clients.map((c, i) => talk(c, `stress${i}`, 3, SENTENCE.repeat(3))));
  const { code } = await stress;
  t.equal(code, 0, 'stress-ng ran to its end');
  t.ok(done.flat().every((d) => d.failed === 0), `every chunk delivered under contention: ${JSON.stringify(done.flat().map((d) => d.failed))}`);
  t.equal(await host.metric('kokoro_chunk_timeouts_total'), timeouts, 'no run deadline expired because of contention alone');
  await until(async () => ((await host.readyz()).status === 200 ? true : undefined), 15_000, 'ready after the stress');
});

t.test('C3 graceful shutdown: SIGTERM during 10 active streams; they finish or get shutting_down, new work is refused, the process exits 0', async (t) => {
  const clients = await Promise.all(Array.from({ length: 10 }, () => open(t)));
  for (const [i, c] of clients.entries()) c.send({ type: 'speak', text: SENTENCE.repeat(4), turn_id: `s${i}` });
  await Promise.all(clients.map((c) => c.json('tts_meta', 60_000)));
  const t0 = performance.now();
  host.kill('SIGTERM');
  await host.line((l) => l.msg === 'shutting down', 10_000, 'the drain to start');
  const refused = await WsClient.open(host.wsUrl).then(
    (c) => (c.ws.terminate(), null),
    (err: { statusCode?: number; body?: string; code?: string }) => err,
  );
  t.ok(refused?.statusCode === 503 || refused?.code === 'ECONNREFUSED', `a new session is refused during the drain (${refused?.statusCode ?? refused?.code})`);
  if (refused?.statusCode === 503) t.match(JSON.parse(refused.body ?? '{}'), { error: { code: 'shutting_down' } });

  const ends = await Promise.all(clients.map(async (c, i) => {
    const { code } = await within(c.closed, 2 * GRACE_MS + 10_000, `session ${i} to close`);
    const frames = jsonFrames(c.frames);
    const done = frames.find((f) => f.type === 'tts_done');
    const told = frames.find((f) => f.type === 'error' && f.code === 'shutting_down');
    const indices = frames.filter((f) => f.type === 'tts_meta').map((f) => f.index as number);
    return { code, finished: done !== undefined && done.failed === 0 && done.chunks === 4, told: told !== undefined, inOrder: indices.every((x, k) => x === k) };
  }));
  t.ok(ends.every((e) => e.code === 1001), `every session closed 1001: ${JSON.stringify(ends.map((e) => e.code))}`);
  t.ok(ends.every((e) => e.finished || e.told), 'each turn either finished or was told shutting_down');
  t.ok(ends.every((e) => e.inOrder), 'audio stayed in order up to the end');
  t.comment(`${ends.filter((e) => e.finished).length} of 10 turns finished within the ${GRACE_MS} ms grace`);
  const status = await within(host.exited, 2 * GRACE_MS + 10_000, 'the host to exit');
  t.same(status, { code: 0, signal: null }, `exit 0 after ${Math.round(performance.now() - t0)} ms`);
});
