/**
 * The bench's own machinery: option parsing, plans, statistics, the load driver's
 * window/cut accounting, the WebSocket client's per-turn bookkeeping, and one tiny raw
 * run on the synthetic model (a .ts worker_thread started through the tsx bootstrap).
 * No figure is asserted: only that the harness counts what happened.
 */
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { WebSocketServer } from 'ws';
import { parseArgs, UsageError } from '../../bench/lib/args.ts';
import { CpuWatch } from '../../bench/lib/cpu-watch.ts';
import { runLoad, type LoadClient, type TurnSample } from '../../bench/lib/load.ts';
import { plansFor, planName } from '../../bench/lib/plans.ts';
import { median, percentile, ratio, summarize } from '../../bench/lib/stats.ts';
import { headlineJson, type BenchRun } from '../../bench/lib/summary.ts';
import { mixedTexts, soakTexts, tokenize } from '../../bench/lib/texts.ts';
import { WsConn } from '../../bench/lib/ws-client.ts';
import { runRaw } from '../../bench/raw.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = `${ROOT}models/synthetic/kokoro-synthetic.onnx`;

t.test('options: bad input is refused with bench_usage', async (t) => {
  const usage = (argv: string[], env: NodeJS.ProcessEnv = {}) => t.throws(() => parseArgs(argv, env, ROOT), { code: 'bench_usage' });
  usage(['--bogus']);
  usage(['--only', 'raw,warp']);
  usage(['--model']);
  usage(['--model', 'models/none.onnx']);
  usage([], { KOKORO_MODEL: '/nonexistent/model.onnx' });
  usage(['--host', 'src/no-server.ts']);
  t.throws(() => parseArgs(['--help'], {}, ROOT), { code: 'bench_help' });
  t.ok(new UsageError('x') instanceof Error);
});

t.test('options: parts and defaults', async (t) => {
  const quick = parseArgs(['--quick', '--json'], {}, ROOT);
  t.ok(quick.quick && quick.json);
  t.notOk(quick.parts.has('soak'), '--quick has no soak');
  t.equal(quick.model, MODEL, 'the synthetic model by default');
  t.same([...parseArgs(['--only=naive,raw'], {}, ROOT).parts].sort(), ['naive', 'raw']);
  t.ok(parseArgs([], {}, ROOT).parts.has('soak'), 'the full run soaks');
});

t.test('plans that fit the vCPUs', async (t) => {
  t.same(plansFor(2).map(planName), ['1x1', '1x2', '2x1', '2x2'], 'with the oversubscribed 2x2');
  t.same(plansFor(1).map(planName), ['1x1']);
  for (const p of plansFor(8)) t.ok(p.workers * p.threads <= 8, `${planName(p)} fits 8 vCPUs`);
  t.ok(plansFor(8).some((p) => p.workers === 1 && p.threads === 1));
});

t.test('statistics', async (t) => {
  t.equal(percentile([1, 2, 3, 4], 50), 2, 'nearest rank');
  t.equal(percentile([1, 2, 3, 4], 99), 4);
  t.ok(Number.isNaN(percentile([], 50)));
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 2, 3]), 2.5);
  t.equal(median([NaN, 5]), 5, 'unmeasured values are ignored');
  t.match(summarize([10, 20, 30]), { n: 3, p50: 20, max: 30, mean: 20 });
  t.equal(ratio(3, 2), 1.5);
  t.ok(Number.isNaN(ratio(3, 0)));
});

t.test('texts: fixed mixes', async (t) => {
  const mixed = mixedTexts();
  t.ok(mixed.length >= 18);
  t.equal(new Set(mixed).size, mixed.length, 'each text once');
  t.equal(soakTexts().length % 10, 0);
});

t.test('unmeasured figures are null in the JSON, never 0', async (t) => {
  const run = {
    startedAt: new Date(),
    quick: true,
    machine: { cpu_model: 'x', vcpus: 2, cpu: { available: 2, quota: null, cpuset: null, vcpus: 2 }, memory_gb: 1, os: 'x', node: 'v20', onnxruntime_node: '1', git_commit: null },
    model: { path: 'm.onnx', bytes: 1, mb: 0, synthetic: true },
    errors: [],
    otherCpuPct: {},
  } satisfies BenchRun;
  const json = JSON.parse(headlineJson(run)) as Record<string, unknown>;
  for (const key of ['raw_audio_s_per_s', 'host_audio_s_per_s', 'host_vs_raw', 'naive_probe_p99_ms', 'stall_recovery_ms', 'respawn_ms', 'ttfa_p50_ms']) {
    t.equal(json[key], null, key);
  }
  t.equal(json.vcpus, 2);
});

/** A client whose turns give `samples` of audio after a tick, or never end until aborted. */
function fakeClient(mode: 'steady' | 'hang'): LoadClient {
  let abort: (() => void) | undefined;
  return {
    turn(_id, _text, onAudio) {
      const startedAt = performance.now();
      return new Promise<TurnSample>((resolve) => {
        if (mode === 'hang') {
          onAudio(2400);
          const ttfaMs = performance.now() - startedAt;
          abort = () => resolve({ ok: false, startedAt, ttfaMs, audibleMs: ttfaMs, underruns: 0, stallMs: 0, endMs: performance.now() - startedAt, audioS: 0.1, error: 'aborted' });
          return;
        }
        setTimeout(() => {
          onAudio(2400);
          resolve({ ok: true, startedAt, ttfaMs: performance.now() - startedAt, audibleMs: performance.now() - startedAt, underruns: 1, stallMs: 7, endMs: performance.now() - startedAt, audioS: 0.1 });
        }, 5);
      });
    },
    abort: () => abort?.(),
    close: async () => undefined,
  };
}

t.test('cpu watch: a share of the machine, or NaN where /proc is missing', async (t) => {
  const watch = new CpuWatch();
  let spin = 0;
  for (let i = 0; i < 5e6; i++) spin += i % 7;
  t.ok(spin > 0);
  const pct = watch.otherCpuPct();
  t.ok(Number.isNaN(pct) || (pct >= 0 && pct <= 100), `${pct}`);
});

t.test('load: window accounting and turns cut at the drain bound', async (t) => {
  const common = { warmupMs: 0, durationMs: 150, drainMs: 50, maxTurns: 1000, texts: ['a', 'b'], label: 't' };
  const steady = await runLoad([fakeClient('steady'), fakeClient('steady')], { ...common, concurrency: 2 });
  t.ok(steady.turns > 0, 'turns completed');
  t.equal(steady.failed, 0);
  t.equal(steady.cut, 0);
  t.ok(steady.audio_s > 0 && steady.audio_s_per_s > 0);
  t.equal(steady.audible_ms.n, steady.turns, 'first audible audio counted per turn');
  t.same([steady.underruns, steady.stall_ms, steady.turns_with_underruns], [steady.turns, 7 * steady.turns, steady.turns], 'underruns summed over the turns');

  const hung = await runLoad([fakeClient('hang')], { ...common, concurrency: 1 });
  t.equal(hung.turns, 0);
  t.equal(hung.cut, 1, 'the hanging turn was aborted and counted as cut');
  t.equal(hung.failed, 0, 'a cut turn is not a failure');
  t.equal(hung.ttfa_ms.n, 1, 'its first audio still counts');
  t.same(hung.errors, [], 'errors of cut turns are not reported');
});

t.test('ws client: frames attributed per turn, refusals and stray audio counted', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  await once(server, 'listening');
  server.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'ready', session_id: 's', sample_rate: 24000, format: 'pcm_s16le', voice: 'af_heart', protocol: 1 }));
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { turn_id: string };
      if (msg.turn_id === 'a') {
        socket.send(JSON.stringify({ type: 'tts_meta', turn_id: 'a', index: 0, samples: 4 }));
        socket.send(Buffer.alloc(8), { binary: true });
        socket.send(JSON.stringify({ type: 'error', code: 'tts_chunk_failed', recoverable: true, turn_id: 'a', index: 1 }));
        socket.send(JSON.stringify({ type: 'tts_done', turn_id: 'a', chunks: 2, failed: 1, audio_ms: 0.2, first_audio_ms: 1 }));
        // Audio after tts_done: the bench must notice.
        socket.send(JSON.stringify({ type: 'tts_meta', turn_id: 'a', index: 2, samples: 4 }));
        socket.send(Buffer.alloc(8), { binary: true });
      } else {
        socket.send(JSON.stringify({ type: 'error', code: 'overloaded', recoverable: true, turn_id: msg.turn_id }));
      }
    });
  });
  const { port } = server.address() as { port: number };
  const conn = await WsConn.open(`ws://127.0.0.1:${port}`);
  const a = await conn.speak('a', 'hello');
  t.equal(a.outcome, 'done');
  t.equal(a.frames, 1);
  t.equal(a.samples, 4);
  t.same(a.indices, [0]);
  t.equal(a.mismatches, 0);
  t.same(a.errors, [{ code: 'tts_chunk_failed', index: 1 }]);
  t.match(a.done, { chunks: 2, failed: 1 });
  const b = await conn.speak('b', 'refused');
  t.equal(b.outcome, 'rejected');
  t.same(b.errors, [{ code: 'overloaded' }]);
  t.equal(conn.strayFrames, 2, 'the meta and the binary frame after tts_done');
  await conn.close();
  const c = await conn.speak('c', 'too late');
  t.equal(c.outcome, 'disconnected', 'a turn on a closed connection ends at once');
});

t.test('raw: a plain worker_thread runs the synthetic model', async (t) => {
  t.ok(existsSync(MODEL), `${MODEL} exists (npm run model:synthetic)`);
  const tok = await tokenize(['Hello there. This is a test.']);
  t.equal(tok.inputs.length, 2, 'one input per sentence');
  const r = await runRaw({ modelPath: MODEL, plans: [{ workers: 1, threads: 1 }], inputs: tok.inputs, durationMs: 100, rounds: 1, maxRunsPerWorker: 3, loadTimeoutMs: 60_000 }, tok.tokens, tok.phonemizeMsPerCall);
  const plan = r.plans[0]!;
  t.ok(plan.runs >= 1 && plan.runs <= 3, `bounded runs (${plan.runs})`);
  t.ok(plan.audio_s > 0);
  t.same(r.best && planName(r.best), '1x1');
});
