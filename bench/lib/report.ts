/** The readable report printed at the end of a run: one section per part, then the headline. */
import type { FaultsResult } from '../faults.ts';
import type { LevelResult } from '../host.ts';
import type { NaiveResult } from '../naive.ts';
import type { RawResult } from '../raw.ts';
import type { SoakResult } from '../soak.ts';
import type { TuningResult } from '../tuning.ts';
import type { Plan } from './plans.ts';
import { headline, type BenchRun } from './summary.ts';
import { fmt, table } from './table.ts';

const x = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${v}x` : '-');
const n = (v: unknown) => (typeof v === 'number' ? v : null);
const same = (a: Plan | null | undefined, b: Plan) => a?.workers === b.workers && a?.threads === b.threads;

function machine(run: BenchRun): string[] {
  const m = run.machine;
  return [
    `kokoro-host bench${run.quick ? ' (quick)' : ''}: ${run.model.path} (${run.model.mb} MB${run.model.synthetic ? ', synthetic' : ''})`,
    `  ${m.vcpus} vCPUs (${m.cpu_model}; available ${m.cpu.available}, quota ${fmt(m.cpu.quota)}, cpuset ${fmt(m.cpu.cpuset)}), ${m.memory_gb} GB, ${m.os}`,
    `  node ${m.node}, onnxruntime ${m.onnxruntime === undefined ? '?' : `${m.onnxruntime.version} (${m.onnxruntime.source})`} via onnxruntime-node ${m.onnxruntime_node}, commit ${fmt(m.git_commit)}`,
    ...(m.onnxruntime?.fallback_reason !== undefined ? [`  WARNING: ${m.onnxruntime.fallback_reason}`] : []),
  ];
}

/** Other processes' CPU share per part, and a warning when a part ran on a busy machine. */
function noise(run: BenchRun, noisyPct: number): string[] {
  const entries = Object.entries(run.otherCpuPct).filter((e): e is [string, number] => e[1] !== undefined);
  if (entries.length === 0) return [];
  const out = [`other processes' share of the CPUs while each part ran: ${entries.map(([k, v]) => `${k} ${fmt(v)}%`).join(', ')}`];
  const noisy = entries.filter(([, v]) => v > noisyPct).map(([k]) => k);
  if (noisy.length > 0) out.push(`  WARNING: ${noisy.join(', ')} ran on a busy machine (> ${noisyPct}%): compare those figures with care, or rerun on an idle machine`);
  return out;
}

function raw(r: RawResult): string[] {
  return [
    `raw: plain worker_threads, ${r.inputs} pre-tokenized inputs back to back, median of rounds (phonemize ${r.phonemize_ms_per_call} ms/call, not counted)`,
    table(
      ['plan', 'audio s/s', 'rounds', 'runs', 'audio s', 'wall s', 'load ms'],
      r.plans.map((p) => [`${p.workers}x${p.threads}`, p.audio_s_per_s, p.rounds_audio_s_per_s.join(' / '), p.runs, p.audio_s, p.wall_s, p.load_ms]),
    ),
  ];
}

function naive(r: NaiveResult): string[] {
  const l = r.load;
  const p = r.probe_ms;
  return [
    `naive: inference on the server's main thread (${r.threads} intra-op threads), HTTP concurrency ${l.concurrency}`,
    table(
      ['audio s/s', 'turns', 'failed', 'ttfa p50', 'ttfa p95', 'probe p50', 'probe p99', 'probe max', 'probe fails'],
      [[l.audio_s_per_s, l.turns, l.failed, l.ttfa_ms.p50, l.ttfa_ms.p95, p.p50, p.p99, p.max, p.failed]],
    ),
  ];
}

function host(levels: readonly LevelResult[], plan: Plan | undefined): string[] {
  const out = [
    `host: plan ${plan === undefined ? '?' : `${plan.workers}x${plan.threads}`} (ms; ttfa = speak/request -> first audio byte; loop = event-loop delay in the host)`,
    table(
      ['way', 'conc', 'audio s/s', 'rtf', 'ttfa p50', 'p95', 'p99', 'audible p50', 'p95', 'underruns', 'stall ms', 'loop p50', 'loop p99', 'probe p99', 'rss MB', 'turns', 'failed', 'cut'],
      levels.map((l) => [l.transport, l.concurrency, l.audio_s_per_s, l.rtf, l.ttfa_ms.p50, l.ttfa_ms.p95, l.ttfa_ms.p99, l.audible_ms.p50, l.audible_ms.p95, l.underruns, l.stall_ms, l.eventloop?.p50_ms, l.eventloop?.p99_ms, l.probe_ms.p99, l.rss_mb, l.turns, l.failed, l.cut]),
    ),
  ];
  const errors = [...new Set(levels.flatMap((l) => l.errors))];
  if (errors.length > 0) out.push(`  errors seen: ${errors.slice(0, 5).join('; ')}`);
  return out;
}

function tuning(t: TuningResult): string[] {
  const marks = (p: Plan & { error?: string }) =>
    [same(t.best_plan, p) ? 'best' : '', same(t.default_plan, p) ? 'default' : '', p.error === undefined ? '' : 'FAILED'].filter(Boolean).join(', ');
  return [
    `tuning: host per plan, WebSocket concurrency ${t.concurrency}, median of ${t.rounds} rounds${t.interleaved ? ' (interleaved)' : ''}`,
    table(
      ['plan', 'audio s/s', 'rounds', 'ttfa p50', 'ttfa p95', 'loop p99', 'probe p99', 'rss MB', 'failed', ''],
      t.rows.map((r) => [`${r.workers}x${r.threads}`, r.audio_s_per_s, r.rounds_audio_s_per_s.join(' / '), r.ttfa_p50_ms, r.ttfa_p95_ms, r.eventloop_p99_ms, r.probe_p99_ms, r.rss_mb, r.failed, marks(r)]),
    ),
  ];
}

function faults(f: FaultsResult): string[] {
  const errs = (list: readonly string[]) => list.join(',') || 'no error';
  return [
    `faults (run deadline ${f.config.KOKORO_RUN_TIMEOUT_MAX_MS} ms, no retries)`,
    table(
      ['fault', 'figure ms', 'detail'],
      [
        ['[[crash]] respawn', f.respawn_ms, `model load ${f.respawn_load_ms} ms; turn ${f.crash_turn.outcome} (${errs(f.crash_turn.errors)})`],
        ['[[stall:20000]] recovery', f.stall_recovery_ms, `stalled turn ${f.stall_turn.outcome} (${errs(f.stall_turn.errors)}) at ${f.stall_turn.end_ms} ms; next turn ${f.after_stall_turn.outcome}`],
        ['/healthz during faults', f.probe_ms.p99, `p99 (max ${f.probe_ms.max}, ${f.probe_ms.failed} failed)`],
      ],
    ),
  ];
}

function soak(s: SoakResult): string[] {
  const list = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `soak: ${s.turns}/${s.planned_turns} turns in ${s.duration_s} s${s.cut_short ? ' (CUT SHORT by the time bound)' : ''}`,
    table(
      ['hung', 'lost chunks', 'order errs', 'bad endings', 'stray frames', 'reconnects', 'rss warm', 'rss end', 'growth %'],
      [[s.hung_turns, s.lost_healthy_chunks, s.order_violations, s.unexpected_endings, s.stray_frames, s.reconnects, s.rss_warm_mb, s.rss_end_mb, s.rss_growth_pct]],
    ),
    `  turns: ${list(s.kinds)}; endings: ${list(s.outcomes)}`,
  ];
}

function summary(run: BenchRun): string[] {
  const h = headline(run);
  const best = h.best_plan as Plan | null;
  return [
    'headline',
    table(
      ['figure', 'value'],
      [
        ['raw (best plan) audio s/s', n(h.raw_audio_s_per_s)],
        ['host ws (saturation) audio s/s', n(h.host_audio_s_per_s)],
        ['host / raw', x(h.host_vs_raw)],
        ['naive audio s/s', n(h.naive_audio_s_per_s)],
        ['host / naive', x(h.host_vs_naive)],
        ['/healthz p99 ms: naive | host (worst level)', `${fmt(n(h.naive_probe_p99_ms))} | ${fmt(n(h.host_probe_p99_ms))}`],
        ['host event-loop p99 ms (worst level)', n(h.host_eventloop_p99_ms)],
        ['ttfa p50 / p95 ms (ws, 1 client)', `${fmt(n(h.ttfa_p50_ms))} / ${fmt(n(h.ttfa_p95_ms))}`],
        ['first AUDIBLE audio p50 / p95 ms (ws, 1 client)', `${fmt(n(h.audible_p50_ms))} / ${fmt(n(h.audible_p95_ms))}`],
        ['LLM reply at 50 tokens/s: audible p50 ms | underruns (stall ms)', `${fmt(n(h.llm_stream_audible_p50_ms))} | ${fmt(n(h.llm_stream_underruns))} (${fmt(n(h.llm_stream_stall_ms))})`],
        ['most ws streams with zero underruns', h.underrun_free_max_concurrency === null ? '-' : String(h.underrun_free_max_concurrency)],
        ['best plan (tuning)', best === null ? '-' : `${best.workers}x${best.threads}`],
        ['stall recovery ms | respawn ms', `${fmt(n(h.stall_recovery_ms))} | ${fmt(n(h.respawn_ms))}`],
      ],
    ),
  ];
}

export function renderReport(run: BenchRun, noisyPct: number): string {
  const sections: string[][] = [machine(run)];
  if (run.raw !== undefined) sections.push(raw(run.raw));
  if (run.naive !== undefined) sections.push(naive(run.naive));
  if (run.levels !== undefined) sections.push(host(run.levels, run.hostPlan));
  if (run.tuning !== undefined) sections.push(tuning(run.tuning));
  if (run.faults !== undefined) sections.push(faults(run.faults));
  if (run.soak !== undefined) sections.push(soak(run.soak));
  sections.push(summary(run));
  const busy = noise(run, noisyPct);
  if (busy.length > 0) sections.push(busy);
  if (run.errors.length > 0) sections.push(['PARTS THAT FAILED', ...run.errors.map((e) => `  ${e.part}: ${e.message.split('\n')[0]}`)]);
  return `\n${sections.map((s) => s.join('\n')).join('\n\n')}`;
}
