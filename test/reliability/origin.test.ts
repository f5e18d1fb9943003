/**
 * The origin bug of this host ("green while broken", matrix C1), the stall escalation of
 * A2 (the process leaves for its supervisor), and A16 (the whole process dies of a native
 * crash; a restarted host is ready again), against the real host as a child process.
 *
 * Native stalls use the synthetic stall model ([[stall:MS]]: session.run really does not
 * return for MS ms) and stay short, so that every host here ends with no thread left
 * inside onnxruntime (a process that exits with one is aborted by onnxruntime-node).
 */
import t, { type Test } from 'tap';
import { WsClient } from '../helpers/gateway.ts';
import { HostProcess, until, within } from '../../harness/host-process.ts';

const RUN_MS = 1500;
const ZOMBIE_GRACE_MS = 500;
const PROBE_EVERY_MS = 250;
const STALL_MS = 8000;

/** Two workers, a flat run deadline, no retries: every stalled chunk is abandoned once, at RUN_MS. */
const STALL_ENV = {
  KOKORO_WORKERS: '2',
  KOKORO_RUN_TIMEOUT_BASE_MS: String(RUN_MS),
  KOKORO_RUN_TIMEOUT_PER_TOKEN_MS: '0',
  KOKORO_RUN_TIMEOUT_MAX_MS: String(RUN_MS),
  KOKORO_CHUNK_RETRIES: '0',
  KOKORO_ZOMBIE_GRACE_MS: String(ZOMBIE_GRACE_MS),
};

async function open(t: Test, host: HostProcess): Promise<WsClient> {
  const client = await WsClient.open(host.wsUrl);
  t.teardown(() => client.ws.terminate());
  await client.json('ready');
  return client;
}

interface Probe {
  at: number;
  health: number | string;
  healthMs: number;
  ready: number | string;
  reasons: string[];
}

/** /healthz and /readyz every PROBE_EVERY_MS, as a load balancer and a supervisor would, until stopped. */
function probeTimeline(host: HostProcess, t0: number): { timeline: Probe[]; stop: () => Promise<void> } {
  const timeline: Probe[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = performance.now() - t0;
      const [health, ready] = await Promise.allSettled([host.get('/healthz', {}, 1000), host.readyz()]);
      timeline.push({
        at,
        health: health.status === 'fulfilled' ? health.value.status : String(health.reason),
        healthMs: health.status === 'fulfilled' ? health.value.ms : NaN,
        ready: ready.status === 'fulfilled' ? ready.value.status : String(ready.reason),
        reasons: ready.status === 'fulfilled' ? ((ready.value.body.reasons as string[] | undefined) ?? []) : [],
      });
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
  })();
  return {
    timeline,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

let host = await HostProcess.start({ env: STALL_ENV });
t.teardown(async () => void (await host.stop()));

t.test('C1 origin regression: green while broken', async (t) => {
  const [a, b, late] = await Promise.all([open(t, host), open(t, host), open(t, host)]);
  t.equal((await host.readyz()).status, 200, 'ready before the fault');
  const t0 = performance.now();
  const probes = probeTimeline(host, t0);
  t.teardown(probes.stop);
  // Every worker (W = 2) stuck inside onnxruntime at once.
  a.send({ type: 'speak', text: `[[stall:${STALL_MS}]] Stuck one.`, turn_id: 'stuck-a' });
  b.send({ type: 'speak', text: `[[stall:${STALL_MS}]] Stuck two.`, turn_id: 'stuck-b' });
  for (const client of [a, b]) {
    t.match(await client.json('error', RUN_MS + 10_000), { code: 'tts_chunk_timeout', index: 0 }, 'the stalled chunk fails at its deadline');
    t.match(await client.json('tts_done'), { chunks: 1, failed: 1 });
  }
  // Each thread became a zombie when its chunk was abandoned, before its client heard of it,
  // so from here on, past the grace, both are overdue. (Readiness turns at the first
  // overdue one; fail-fast needs every worker overdue. On a loaded runner the two stalls
  // can start far enough apart for the test to see one without the other.)
  const bothOverdueAt = performance.now() + ZOMBIE_GRACE_MS;
  // Readiness must turn within its bound: the run deadline, the zombie grace, two probe intervals (plus scheduling slack).
  const bound = RUN_MS + ZOMBIE_GRACE_MS + 2 * PROBE_EVERY_MS + 3000;
  const notReady = await until(async () => {
    const r = await host.readyz();
    return r.status === 503 ? r : undefined;
  }, bound, '/readyz 503 within its bound', 50);
  t.ok((notReady.body.reasons as string[]).includes('worker_zombie'), `/readyz says why: ${JSON.stringify(notReady.body.reasons)}`);
  t.equal((notReady.body.pool as Record<string, number>).zombies, 2, 'both stuck threads are counted');

  // New work fails fast instead of waiting behind the stuck threads.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, bothOverdueAt - performance.now())));
  const started = performance.now();
  late.send({ type: 'speak', text: 'New work while every worker is stuck.', turn_id: 'late' });
  const lateErrors = await late.until((d) => d.type === 'tts_done', 3000);
  const failFastMs = performance.now() - started;
  t.match(
    lateErrors.filter((f) => f.kind === 'json').map((f) => (f as { data: Record<string, unknown> }).data),
    [{ type: 'error', code: 'tts_chunk_failed', index: 0 }, { type: 'error', code: 'tts_all_failed' }, { type: 'tts_done', failed: 1 }],
    `the WebSocket turn failed at once (${Math.round(failFastMs)} ms), it did not hang`,
  );
  const http = await fetch(`${host.base}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', input: 'HTTP work while every worker is stuck.', response_format: 'wav' }),
    signal: AbortSignal.timeout(3000),
  });
  t.equal(http.status, 503, 'an HTTP request is refused at once, as retryable');
  t.match(await http.json(), { error: { code: 'tts_all_failed' } });
  t.ok(http.headers.get('retry-after') !== null, 'with Retry-After');

  // The stall ends: the threads come back, readiness returns, work succeeds.
  await until(async () => {
    const r = await host.readyz();
    return r.status === 200 ? true : undefined;
  }, STALL_MS + 30_000, 'ready again once the native calls returned');
  const { timeline, stop } = probes;
  await stop();
  late.send({ type: 'speak', text: 'Working again.', turn_id: 'again' });
  t.match(await late.json('tts_done', 30_000), { turn_id: 'again', failed: 0 });

  const sick = timeline.filter((p) => p.ready === 503);
  t.ok(sick.length > 0, `the probes saw the outage (${sick.length} of ${timeline.length} samples)`);
  t.ok(sick.every((p) => p.reasons.includes('worker_zombie')), 'every 503 carried the reason');
  t.same(timeline.filter((p) => p.health !== 200), [], '/healthz answered 200 within 1 s on every probe: liveness never flapped');
  const worst = Math.max(...timeline.map((p) => p.healthMs));
  t.comment(`${timeline.length} probes; /healthz worst ${worst.toFixed(1)} ms; first 503 at ${Math.round(sick[0]?.at ?? NaN)} ms; last 503 at ${Math.round(sick.at(-1)?.at ?? NaN)} ms`);
});

t.test('A16 native crash of the whole process: clients see 1006, a restarted host is ready and serves', async (t) => {
  // Independent of how C1 ended: its stalls may still be running.
  await until(async () => ((await host.readyz()).status === 200 ? true : undefined), STALL_MS + 30_000, 'ready before the crash');
  const client = await open(t, host);
  client.send({ type: 'speak', text: 'This turn is cut by a crash. It has a few chunks. Three of them.', turn_id: 'cut' });
  await client.json('tts_meta', 30_000);
  host.kill('SIGSEGV');
  // Not a shutdown request: a handler for fatal signals would turn a crash into a drain and exit 0.
  const status = await within(host.exited, 30_000, 'the host to die');
  t.same(status, { code: null, signal: 'SIGSEGV' }, `the host died of the signal (exit ${JSON.stringify(status)})`);
  t.equal((await client.closed).code, 1006, 'the client sees an abnormal closure');
  // The supervisor's part: start it again.
  const t0 = performance.now();
  host = await HostProcess.start({ env: STALL_ENV });
  t.comment(`restarted and ready in ${Math.round(performance.now() - t0)} ms`);
  t.equal((await host.readyz()).status, 200);
  const again = await open(t, host);
  again.send({ type: 'speak', text: 'Back after the crash.', turn_id: 'back' });
  t.match(await again.json('tts_done', 30_000), { turn_id: 'back', failed: 0 });
});

t.test('A2 escalation: with KOKORO_EXIT_ON_STALL a stuck worker drains the host, which exits 3 for its supervisor', async (t) => {
  const drainMs = 6000;
  const stalling = await HostProcess.start({
    env: { ...STALL_ENV, KOKORO_WORKERS: '1', KOKORO_EXIT_ON_STALL: '1', KOKORO_SHUTDOWN_GRACE_MS: String(drainMs) },
  });
  t.teardown(() => stalling.kill('SIGKILL'));
  const busy = await open(t, stalling);
  const victim = await open(t, stalling);
  // An open turn keeps the drain going for its whole grace, past the end of the 3 s stall,
  // so the stuck thread has returned by exit time: a clean exit 3, not the SIGKILL of a
  // thread still in native code (that path is test/integration/gateway-server.test.ts's).
  busy.send({ type: 'text', text: 'An open turn with no end', turn_id: 'open' });
  victim.send({ type: 'speak', text: '[[stall:3000]] Stuck.', turn_id: 'stuck' });
  t.match(await victim.json('error', RUN_MS + 10_000), { code: 'tts_chunk_timeout' });
  await stalling.line((l) => l.msg === 'a worker is stuck in native code; restarting the process', 10_000, 'the escalation');
  t.match(await stalling.line((l) => l.msg === 'shutting down', 5000, 'the drain'), { reason: 'worker_stall' });
  t.match(await busy.json('error', drainMs + 5000), { code: 'shutting_down', recoverable: false }, 'open sessions are told');
  t.equal((await busy.closed).code, 1001);
  t.same(await within(stalling.exited, 2 * drainMs + 10_000, 'the host to exit'), { code: 3, signal: null }, 'exit code 3');
});
