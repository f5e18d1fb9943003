/**
 * Soak (reliability matrix C5, and A11 with --arena): mixed WebSocket load at a fraction of
 * the measured capacity against a child host, with a small rate of injected worker faults
 * (A1 [[hang]], A5 [[crash]], A7 [[error]]) and periodic abusers (B1 slow reader, B16
 * cancel flood), sampled into a CSV time series and judged at the end.
 *
 *   npm run soak -- --minutes 30 [--workers 2] [--load 0.7] [--fault-rate 0.01]
 *                   [--sample-s 5] [--abuse-every-s 60] [--seed 1] [--arena on|off]
 *                   [--malloc-arena-max 2]   (glibc's MALLOC_ARENA_MAX for the host, as `npm start`
 *                                             and the Docker image set it; 0 leaves it unset)
 *                   [--model PATH]           (a real Kokoro model instead of the synthetic one)
 *                   [--turns N]              (stop after N turns, or at --minutes, whichever first)
 *                   [--max-sentences 6]      (a turn has 1..N sentences)
 *                   [--interval-ms N]        (a turn every N ms instead of --load x the calibrated capacity)
 *                   [--cancel-rate 0] [--disconnect-rate 0]   [--abuse-every-s 0: no abusers]
 *                                            (share of turns the client cancels, or hangs up on, at
 *                                             their first audio: barge-in as voice agents do it)
 *
 * On the genuine model (what bench/RESULTS.md records):
 *   npm run soak -- --model ../shared/models/kokoro-82m-v1.0-int8.onnx --turns 1000 --minutes 40 --interval-ms 1200 \
 *                   --max-sentences 1 --fault-rate 0 --cancel-rate 0.1 --disconnect-rate 0.05 --abuse-every-s 0
 *
 * CSV (bench/results/soak-<timestamp>.csv), one row per sample: seconds since the load
 * began, host RSS, threads (/proc/<pid>/status), fds (/proc/<pid>/fd), event-loop p99
 * since the previous sample (GET /debug/eventloop?reset=1), queue depth, zombies and
 * respawns (GET /metrics), and the client-side chunk counts.
 *
 * Exit 0 only when every check passes: no unexplained gap (each chunk delivered or failed
 * with a code), 100 % ordering, no hung turn, failures within the injected faults,
 * respawns equal to the injected crash/hang faults, threads and fds back to baseline, a
 * graceful host exit, and an RSS slope under 5 %/h after warm-up (judged only when the
 * post-warm-up window is at least 5 minutes; shorter runs report it as SKIPPED).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HostProcess, sumMetric, until, within } from '../harness/host-process.ts';
import { cancelFlood, slowReader } from './soak/abusers.ts';
import { SoakConn } from './soak/conn.ts';
import { ConnPool, MAX_CONNECTIONS, TURN_BOUND_MS } from './soak/conn-pool.ts';
import { parseArgs } from './soak/options.ts';
import { CSV_HEADER, sample, slope, type Sample } from './soak/sampling.ts';
import { makeTurn, prng, tallyTurn, type Tally } from './soak/turns.ts';
// ---------------------------------------------------------------------------------------

/**
 * Turns per second the host sustains, on turns drawn like the soak's own (1 to
 * --max-sentences sentences, no faults): `rounds` turns per connection, timed after one
 * untimed round (a fresh worker's first chunks run 2-4x slower). Turns, not chunks: a
 * chunk's cost depends on its length, so a rate in chunks measured on long turns
 * misjudged a soak of short ones by 4x on the genuine model.
 */
async function calibrate(host: HostProcess, workers: number, rounds: number, maxSentences: number): Promise<number> {
  const conns = await Promise.all(Array.from({ length: 2 * workers }, () => SoakConn.open(host.wsUrl)));
  const random = prng(12345);
  const text = () => makeTurn(random, 0, maxSentences).text;
  await Promise.all(conns.map((c, i) => c.speak(`warm-${i}`, text(), TURN_BOUND_MS)));
  const t0 = performance.now();
  let turns = 0;
  await Promise.all(conns.map(async (c, i) => {
    for (let k = 0; k < rounds; k++) {
      await c.speak(`cal-${i}-${k}`, text(), TURN_BOUND_MS);
      turns++;
    }
  }));
  const rate = turns / ((performance.now() - t0) / 1000);
  await Promise.all(conns.map((c) => c.close()));
  return rate;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const root = fileURLToPath(new URL('../', import.meta.url));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(`${root}bench/results`, { recursive: true });
  const csvPath = `${root}bench/results/soak-${stamp}.csv`;
  const log = (msg: string): void => void process.stdout.write(`[soak] ${msg}\n`);

  log(`starting the host: ${o.model ?? 'synthetic model'}, ${o.workers} workers, arena ${o.arena ? 'on' : 'off'}, MALLOC_ARENA_MAX ${o.mallocArenaMax || 'unset'}`);
  const host = await HostProcess.start({
    keepLines: 2000,
    env: {
      KOKORO_WORKERS: String(o.workers),
      KOKORO_CPU_MEM_ARENA: o.arena ? '1' : '0',
      KOKORO_MAX_CONNECTIONS: String(MAX_CONNECTIONS + 8),
      // The product's default (the test harness turns it off for chunk counts that do not depend on timing).
      KOKORO_CHUNK_SIZING: '1',
      ...(o.model !== undefined ? { KOKORO_MODEL: o.model } : {}),
      ...(o.mallocArenaMax > 0 ? { MALLOC_ARENA_MAX: String(o.mallocArenaMax) } : {}),
    },
  });
  const onSignal = () => host.kill('SIGKILL');
  process.once('SIGINT', onSignal);
  try {
    const retries = 1; // KOKORO_CHUNK_RETRIES default: a faulty chunk faults on both tries
    // A real model is ~50x slower than the synthetic one: one round is enough to measure it.
    const capacity = await calibrate(host, o.workers, o.model === undefined ? 8 : 3, o.maxSentences);
    const intervalMs = o.intervalMs > 0 ? o.intervalMs : 1000 / (capacity * o.load);
    log(`capacity ${capacity.toFixed(2)} turns/s; load ${(o.load * 100).toFixed(0)}%: a turn every ${intervalMs.toFixed(0)} ms for ${o.minutes} min${o.turns > 0 ? ` or ${o.turns} turns` : ''}`);

    const baseline = await sample(host, performance.now());
    const csv = createWriteStream(csvPath);
    csv.write(CSV_HEADER);
    const random = prng(o.seed);
    const tally: Tally = {
      turns: 0, ends: {}, chunks: 0, delivered: 0, failed: 0, failedCodes: {}, gaps: 0, orderViolations: 0, sizeMismatches: 0,
      injected: { '[[hang]]': 0, '[[crash]]': 0, '[[error]]': 0 }, skippedStarts: 0, slowestTurnMs: 0,
    };
    const pool = new ConnPool(host.wsUrl);
    const inFlight = new Set<Promise<void>>();
    const abuses: string[] = [];
    const series: Sample[] = [];
    const t0 = performance.now();
    const endAt = t0 + o.minutes * 60_000;
    let n = 0;

    const startTurn = async () => {
      const conn = await pool.take().catch(() => null);
      if (conn === null) {
        tally.skippedStarts++;
        return;
      }
      const turn = makeTurn(random, o.faultRate, o.maxSentences);
      const roll = random();
      const interrupt = roll < o.cancelRate ? 'cancel' : roll < o.cancelRate + o.disconnectRate ? 'disconnect' : undefined;
      const record = await conn.speak(`t${n++}`, turn.text, TURN_BOUND_MS, interrupt);
      tallyTurn(tally, record, turn.faults);
      if (record.end === 'hung') conn.ws.terminate();
      else pool.give(conn);
    };
    const launch = (p: Promise<void>) => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };

    let enoughTurns!: () => void;
    const turnsDone = new Promise<void>((resolve) => (enoughTurns = resolve));
    const turnTimer = setInterval(() => {
      if (o.turns > 0 && n >= o.turns) {
        enoughTurns();
        return;
      }
      launch(startTurn());
    }, intervalMs);
    let abuseKind = 0;
    // --abuse-every-s 0: no abusers (on a real model a slow reader takes minutes to fill its buffers).
    const abuseTimer = o.abuseEveryS <= 0 ? undefined : setInterval(() => {
      const kind = abuseKind++ % 2 === 0 ? 'slow reader' : 'cancel flood';
      launch((kind === 'slow reader' ? slowReader(host) : cancelFlood(host)).then(
        (outcome) => void abuses.push(`${kind}: ${outcome}`),
        (err: unknown) => void abuses.push(`${kind}: failed to run: ${String(err)}`),
      ));
    }, o.abuseEveryS * 1000);
    let sampling: Promise<void> = Promise.resolve();
    const sampleTimer = setInterval(() => {
      sampling = sampling.then(async () => {
        const s = await sample(host, t0);
        series.push(s);
        csv.write(`${s.t.toFixed(1)},${s.rssMb.toFixed(1)},${s.threads},${s.fds},${s.p99},${s.queue},${s.zombies},${s.respawns},${s.ws},${tally.turns},${tally.delivered},${tally.failed}\n`);
        log(`${Math.round(s.t)} s: rss ${s.rssMb.toFixed(0)} MiB, threads ${s.threads}, fds ${s.fds}, p99 ${s.p99} ms, queue ${s.queue}, zombies ${s.zombies}, respawns ${s.respawns}, turns ${tally.turns}, chunks ${tally.delivered}/${tally.failed} failed`);
      }).catch((err: unknown) => log(`sample failed: ${String(err)}`));
    }, o.sampleS * 1000);

    let endTimer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (endTimer = setTimeout(resolve, Math.max(0, endAt - performance.now())))), turnsDone]);
    clearTimeout(endTimer);
    clearInterval(turnTimer);
    clearInterval(abuseTimer);
    log(`load stopped; waiting for ${inFlight.size} turns and abusers to end`);
    await within(Promise.all([...inFlight]), TURN_BOUND_MS + 60_000, 'the last turns');
    clearInterval(sampleTimer);
    await sampling;
    await pool.closeAll();
    await new Promise<void>((resolve) => csv.end(resolve));

    // Settled: no session, nothing in flight, no zombie; then compare with the baseline.
    await until(async () => {
      const m = await host.metrics();
      const pool = await host.pool();
      return sumMetric(m, 'kokoro_ws_connections') === 0 && pool.in_flight === 0 && pool.zombies === 0 && (await host.readyz()).status === 200 ? true : undefined;
    }, 120_000, 'the host idle and ready', 500);
    const end = await sample(host, t0);
    const respawns = end.respawns - baseline.respawns;
    const exit = await host.stop();

    // ---- judgement
    // Warm-up: the first fifth of the load actually run (a --turns run may end long before --minutes).
    const warmupS = Math.max(60, 0.2 * (series.at(-1)?.t ?? 0));
    const after = series.filter((s) => s.t >= warmupS);
    const windowS = (after.at(-1)?.t ?? 0) - (after[0]?.t ?? 0);
    const meanRss = after.reduce((s, x) => s + x.rssMb, 0) / Math.max(1, after.length);
    const slopePctPerHour = after.length >= 3 ? (slope(after.map((s) => [s.t / 3600, s.rssMb])) / meanRss) * 100 : NaN;
    const respawning = tally.injected['[[hang]]'] + tally.injected['[[crash]]'];
    const injectedTotal = respawning + tally.injected['[[error]]'];
    const checks: Array<[string, boolean | 'skip', string]> = [
      ['no unexplained gaps', tally.gaps === 0, `${tally.gaps} chunks neither delivered nor failed with a code`],
      ['ordering 100%', tally.orderViolations === 0 && tally.sizeMismatches === 0, `${tally.orderViolations} order violations, ${tally.sizeMismatches} audio/meta mismatches`],
      ['no hung or dropped turn', (tally.ends.hung ?? 0) === 0 && (tally.ends.disconnected ?? 0) === 0, JSON.stringify(tally.ends)],
      ['failures within the injected faults', tally.failed <= injectedTotal, `${tally.failed} failed chunks for ${injectedTotal} injected (${JSON.stringify(tally.failedCodes)})`],
      ['respawns = injected crash/hang faults', respawns === respawning * (1 + retries), `${respawns} respawns for ${respawning} faults x ${1 + retries} tries`],
      ['abusers closed', abuses.every((a) => a.includes('closed') && !a.includes('NOT')), abuses.join('; ') || 'none ran'],
      ['threads back to baseline', end.threads === baseline.threads, `${baseline.threads} -> ${end.threads}`],
      ['fds back to baseline', end.fds <= baseline.fds + 4, `${baseline.fds} -> ${end.fds}`],
      ['graceful host exit', exit.code === 0, JSON.stringify(exit)],
      windowS >= 300
        ? ['RSS slope < 5%/h after warm-up', slopePctPerHour < 5, `${slopePctPerHour.toFixed(2)} %/h over ${Math.round(windowS)} s (mean ${meanRss.toFixed(0)} MiB)`]
        : ['RSS slope < 5%/h after warm-up', 'skip', `SKIPPED: ${Math.round(windowS)} s after a ${Math.round(warmupS)} s warm-up; needs 300 s (run --minutes 7 or more)`],
    ];
    const p99s = series.map((s) => s.p99);
    log('---- summary');
    log(`csv: ${csvPath}`);
    log(`turns ${tally.turns} (${JSON.stringify(tally.ends)}), skipped starts ${tally.skippedStarts}, slowest turn ${Math.round(tally.slowestTurnMs)} ms`);
    log(`the last turn was number ${n}; cancelled by the client ${tally.ends.cancelled ?? 0}, hung up on ${tally.ends.client_disconnect ?? 0}`);
    log(`chunks announced by tts_done ${tally.chunks}; delivered ${tally.delivered}, failed ${tally.failed} (turns cut short included); injected ${JSON.stringify(tally.injected)}`);
    log(`event-loop p99 per sample: max ${Math.max(...p99s, 0)} ms, median ${[...p99s].sort((a, b) => a - b)[Math.floor(p99s.length / 2)] ?? NaN} ms`);
    log(`RSS ${baseline.rssMb.toFixed(0)} -> ${end.rssMb.toFixed(0)} MiB; threads ${baseline.threads} -> ${end.threads}; fds ${baseline.fds} -> ${end.fds}`);
    for (const [name, ok, detail] of checks) log(`${ok === 'skip' ? 'SKIP' : ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
    return checks.some(([, ok]) => ok === false) ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    if (host.running) host.kill('SIGKILL');
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[soak] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
