/**
 * Part 4, tuning matrix: the host restarted with each workers x threads plan
 * (KOKORO_WORKERS / KOKORO_THREADS_PER_WORKER) and loaded over WebSocket at saturation.
 * The winner is the evidence for (or against) the host's default plan.
 */
import { measureLevel, warmUp, type LevelOptions } from './host.ts';
import { Host, type HostTarget } from './lib/host.ts';
import { planName, type Plan } from './lib/plans.ts';
import { progress } from './lib/progress.ts';
import { ratio } from './lib/stats.ts';

export interface TuningRow extends Plan {
  audio_s_per_s: number;
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
  /** Untimed load on each freshly started host before it is measured. */
  warmMs: number;
  /** A host already running with the default plan: measured in place instead of restarted. */
  running?: Host;
}

export async function runTuning(opts: TuningOptions): Promise<TuningResult> {
  const rows: TuningRow[] = [];
  for (const plan of opts.plans) {
    progress(`tuning: host with plan ${planName(plan)}, ws concurrency ${opts.concurrency} for ${opts.durationMs / 1000} s`);
    const reuse = opts.running !== undefined && opts.running.plan.workers === plan.workers && opts.running.plan.threads === plan.threads;
    let started: Host | undefined;
    try {
      const host = reuse ? opts.running! : (started = await Host.start({ ...opts.target, plan }));
      if (!reuse) await warmUp(host, opts.texts, opts.warmMs);
      const r = await measureLevel(host, 'ws', opts.concurrency, opts, `tune${planName(plan)}`);
      rows.push({
        ...plan,
        audio_s_per_s: r.audio_s_per_s,
        ttfa_p50_ms: r.ttfa_ms.p50,
        ttfa_p95_ms: r.ttfa_ms.p95,
        eventloop_p99_ms: r.eventloop?.p99_ms ?? NaN,
        probe_p99_ms: r.probe_ms.p99,
        rss_mb: r.rss_mb,
        failed: r.failed,
      });
      progress(`tuning: ${planName(plan)} -> ${r.audio_s_per_s} audio s/s, ttfa p50 ${r.ttfa_ms.p50} ms`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      progress(`tuning: ${planName(plan)} failed: ${message.split('\n')[0]}`);
      rows.push({ ...plan, audio_s_per_s: NaN, ttfa_p50_ms: NaN, ttfa_p95_ms: NaN, eventloop_p99_ms: NaN, probe_p99_ms: NaN, rss_mb: NaN, failed: 0, error: message });
    } finally {
      await started?.stop();
    }
  }
  const measured = rows.filter((r) => Number.isFinite(r.audio_s_per_s));
  const best = measured.reduce<TuningRow | undefined>((b, r) => (b === undefined || r.audio_s_per_s > b.audio_s_per_s ? r : b), undefined);
  const def = rows.find((r) => r.workers === opts.defaultPlan.workers && r.threads === opts.defaultPlan.threads);
  return {
    concurrency: opts.concurrency,
    rows,
    best_plan: best === undefined ? null : { workers: best.workers, threads: best.threads },
    default_plan: opts.defaultPlan,
    default_vs_best: ratio(def?.audio_s_per_s ?? NaN, best?.audio_s_per_s ?? NaN),
  };
}
