/**
 * Part 4, tuning matrix: the host started once per workers x threads plan
 * (KOKORO_WORKERS / KOKORO_THREADS_PER_WORKER) and loaded over WebSocket at saturation.
 * The winner is the evidence for (or against) the host's default plan.
 *
 * Plans are measured in interleaved rounds (A B C, A B C, ...) with every host kept
 * running, idle between its turns, and each plan's figure is its median round. A burst
 * of outside CPU load then costs one round of each plan instead of deciding the winner.
 * When the hosts would not fit in memory together, plans run one after another.
 */
import { freemem } from 'node:os';
import { statSync } from 'node:fs';
import { measureLevel, warmUp, type LevelOptions, type LevelResult } from './host.ts';
import { Host, type HostTarget } from './lib/host.ts';
import { planName, type Plan } from './lib/plans.ts';
import { progress } from './lib/progress.ts';
import { median, ratio, round } from './lib/stats.ts';

export interface TuningRow extends Plan {
  /** Median over rounds. */
  audio_s_per_s: number;
  rounds_audio_s_per_s: number[];
  ttfa_p50_ms: number;
  ttfa_p95_ms: number;
  eventloop_p99_ms: number;
  probe_p99_ms: number;
  rss_mb: number;
  failed: number;
  error?: string;
}

export interface TuningResult {
  concurrency: number;
  rounds: number;
  interleaved: boolean;
  rows: TuningRow[];
  best_plan: Plan | null;
  default_plan: Plan | null;
  /** Default plan's throughput / best plan's (1 when the default wins). */
  default_vs_best: number;
}

export interface TuningOptions extends LevelOptions {
  target: HostTarget;
  plans: readonly Plan[];
  defaultPlan: Plan;
  concurrency: number;
  rounds: number;
  /** Untimed load on each freshly started host before it is measured. */
  warmMs: number;
  /** A host already running with the default plan: measured in place instead of restarted. */
  running?: Host;
  /** The running host's round already measured at this concurrency and window: its first round, not repeated. */
  prior?: LevelResult;
}

const mid = (values: readonly number[]) => round(median(values), 2);

/** Rough: a worker's session takes a few times the model file; keep half the free memory spare. */
function fitsTogether(plans: readonly Plan[], modelPath: string): boolean {
  const workers = plans.reduce((n, p) => n + p.workers, 0);
  const perWorker = statSync(modelPath).size * 4 + 100 * 2 ** 20;
  return workers * perWorker < freemem() / 2;
}

function row(plan: Plan, rounds: readonly LevelResult[], error?: string): TuningRow {
  return {
    ...plan,
    audio_s_per_s: mid(rounds.map((r) => r.audio_s_per_s)),
    rounds_audio_s_per_s: rounds.map((r) => r.audio_s_per_s),
    ttfa_p50_ms: mid(rounds.map((r) => r.ttfa_ms.p50)),
    ttfa_p95_ms: mid(rounds.map((r) => r.ttfa_ms.p95)),
    eventloop_p99_ms: mid(rounds.map((r) => r.eventloop?.p99_ms ?? NaN)),
    probe_p99_ms: mid(rounds.map((r) => r.probe_ms.p99)),
    rss_mb: rounds.reduce((m, r) => (Number.isFinite(r.rss_mb) && !(r.rss_mb <= m) ? r.rss_mb : m), NaN),
    failed: rounds.reduce((n, r) => n + r.failed, 0),
    ...(error !== undefined ? { error } : {}),
  };
}

export async function runTuning(opts: TuningOptions): Promise<TuningResult> {
  const interleaved = opts.rounds > 1 && fitsTogether(opts.plans, opts.target.modelPath);
  const results = new Map<Plan, LevelResult[]>(opts.plans.map((p) => [p, []]));
  const errors = new Map<Plan, string>();
  const hosts = new Map<Plan, Host>();
  const started = new Set<Host>();
  const isRunning = (p: Plan) => opts.running !== undefined && opts.running.plan.workers === p.workers && opts.running.plan.threads === p.threads;

  const hostFor = async (plan: Plan): Promise<Host> => {
    const known = hosts.get(plan) ?? (isRunning(plan) ? opts.running : undefined);
    if (known !== undefined) return known;
    progress(`tuning: starting the host with plan ${planName(plan)}`);
    const host = await Host.start({ ...opts.target, plan });
    started.add(host);
    await warmUp(host, opts.texts, opts.warmMs);
    hosts.set(plan, host);
    return host;
  };
  const release = async (plan: Plan) => {
    const host = hosts.get(plan);
    if (host === undefined || !started.has(host)) return;
    hosts.delete(plan);
    started.delete(host);
    await host.stop();
  };

  progress(`tuning: ${opts.plans.length} plans, ws concurrency ${opts.concurrency}, ${opts.rounds} rounds of ${opts.durationMs / 1000} s${interleaved ? ', interleaved' : ', one plan after another'}`);
  try {
    const order = interleaved
      ? Array.from({ length: opts.rounds }, (_, r) => opts.plans.map((p) => ({ plan: p, round: r }))).flat()
      : opts.plans.flatMap((p) => Array.from({ length: opts.rounds }, (_, r) => ({ plan: p, round: r })));
    for (const [i, { plan, round: r }] of order.entries()) {
      if (errors.has(plan)) continue;
      try {
        const reused = r === 0 && isRunning(plan) && opts.prior?.concurrency === opts.concurrency ? opts.prior : undefined;
        const result = reused ?? (await measureLevel(await hostFor(plan), 'ws', opts.concurrency, opts, `tune${planName(plan)}r${r}`));
        results.get(plan)!.push(result);
        progress(`tuning: ${planName(plan)} round ${r + 1} -> ${result.audio_s_per_s} audio s/s, ttfa p50 ${result.ttfa_ms.p50} ms${reused ? ' (the host part\'s level, same plan, concurrency and window)' : ''}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        progress(`tuning: ${planName(plan)} failed: ${message.split('\n')[0]}`);
        errors.set(plan, message);
        await release(plan);
      }
      // Sequential mode: a plan's host goes as soon as its last round is done.
      if (!interleaved && order[i + 1]?.plan !== plan) await release(plan);
    }
  } finally {
    await Promise.all([...started].map((h) => h.stop()));
  }

  const rows = opts.plans.map((p) => row(p, results.get(p)!, errors.get(p)));
  const measured = rows.filter((r) => Number.isFinite(r.audio_s_per_s));
  const best = measured.reduce<TuningRow | undefined>((b, r) => (b === undefined || r.audio_s_per_s > b.audio_s_per_s ? r : b), undefined);
  const def = rows.find((r) => r.workers === opts.defaultPlan.workers && r.threads === opts.defaultPlan.threads);
  return {
    concurrency: opts.concurrency,
    rounds: opts.rounds,
    interleaved,
    rows,
    best_plan: best === undefined ? null : { workers: best.workers, threads: best.threads },
    default_plan: opts.defaultPlan,
    default_vs_best: ratio(def?.audio_s_per_s ?? NaN, best?.audio_s_per_s ?? NaN),
  };
}
