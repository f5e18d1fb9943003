/**
 * The figures of one run: every part's detail, plus the headline keys (flat, stable
 * names) that --json prints and bench/results/<timestamp>.json stores. A figure that was
 * not measured is null (never 0), so a skipped or failed part cannot read as a result.
 */
import type { FaultsResult } from '../faults.ts';
import type { LoadResult } from './load.ts';
import { saturation, type LevelResult } from '../host.ts';
import type { NaiveResult } from '../naive.ts';
import type { RawResult } from '../raw.ts';
import type { SoakResult } from '../soak.ts';
import type { TuningResult } from '../tuning.ts';
import type { MachineFacts, ModelFacts } from './machine.ts';
import type { Plan } from './plans.ts';
import { ratio, round } from './stats.ts';

export interface BenchRun {
  startedAt: Date;
  quick: boolean;
  machine: MachineFacts;
  model: ModelFacts;
  raw?: RawResult;
  naive?: NaiveResult;
  hostPlan?: Plan;
  levels?: LevelResult[];
  /** One turn alone on the warm host (ms): the unit the level windows are sized in. */
  turnMs?: number;
  /** One client streaming a reply at LLM speed (host.ts measureLlmStream). */
  stream?: LoadResult;
  tuning?: TuningResult;
  faults?: FaultsResult;
  soak?: SoakResult;
  errors: Array<{ part: string; message: string }>;
  /** Per part: percent of all CPUs' time that other processes used meanwhile. */
  otherCpuPct: Partial<Record<string, number>>;
  durationS?: number;
}

const worst = (values: readonly number[]) => {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? NaN : Math.max(...finite);
};

/** NaN -> null throughout, so JSON says "not measured" instead of dropping to 0. */
function nulls(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(nulls);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, nulls(v)]));
  return value;
}

export function headline(run: BenchRun): Record<string, unknown> {
  const levels = run.levels ?? [];
  const ws = saturation(levels, 'ws');
  const http = saturation(levels, 'http');
  const ws1 = levels.filter((l) => l.transport === 'ws').sort((a, b) => a.concurrency - b.concurrency)[0];
  const raw = run.raw?.best?.audio_s_per_s ?? NaN;
  const naive = run.naive?.load.audio_s_per_s ?? NaN;
  const hostTput = ws?.audio_s_per_s ?? NaN;
  const naiveProbe = run.naive?.probe_ms.p99 ?? NaN;
  const hostProbe = worst(levels.map((l) => l.probe_ms.p99));
  return {
    model: run.model.path,
    model_mb: run.model.mb,
    vcpus: run.machine.vcpus,
    cpu_model: run.machine.cpu_model,
    node: run.machine.node,
    onnxruntime_node: run.machine.onnxruntime_node,
    onnxruntime: run.machine.onnxruntime?.version ?? null,
    onnxruntime_source: run.machine.onnxruntime?.source ?? null,
    quick: run.quick,
    plan: run.hostPlan ?? null,
    raw_audio_s_per_s: raw,
    raw_best_plan: run.raw?.best === undefined ? null : { workers: run.raw.best.workers, threads: run.raw.best.threads },
    phonemize_ms_per_call: run.raw?.phonemize_ms_per_call ?? NaN,
    naive_audio_s_per_s: naive,
    naive_probe_p99_ms: naiveProbe,
    naive_probe_max_ms: run.naive?.probe_ms.max ?? NaN,
    host_audio_s_per_s: hostTput,
    host_saturation_concurrency: ws?.concurrency ?? null,
    host_http_audio_s_per_s: http?.audio_s_per_s ?? NaN,
    host_vs_raw: ratio(hostTput, raw),
    host_http_vs_raw: ratio(http?.audio_s_per_s ?? NaN, raw),
    host_vs_naive: ratio(hostTput, naive),
    // The naive server's exact load (HTTP, same concurrency) on the host.
    host_vs_naive_same_load: ratio(levels.find((l) => l.transport === 'http' && l.concurrency === run.naive?.load.concurrency)?.audio_s_per_s ?? NaN, naive),
    host_rtf: ws?.rtf ?? NaN,
    host_probe_p99_ms: hostProbe,
    naive_vs_host_probe_p99: ratio(naiveProbe, hostProbe, 1),
    host_eventloop_p99_ms: worst(levels.map((l) => l.eventloop?.p99_ms ?? NaN)),
    host_eventloop_max_ms: worst(levels.map((l) => l.eventloop?.max_ms ?? NaN)),
    ttfa_p50_ms: ws1?.ttfa_ms.p50 ?? NaN,
    ttfa_p95_ms: ws1?.ttfa_ms.p95 ?? NaN,
    ttfa_p99_ms: ws1?.ttfa_ms.p99 ?? NaN,
    audible_p50_ms: ws1?.audible_ms.p50 ?? NaN,
    audible_p95_ms: ws1?.audible_ms.p95 ?? NaN,
    llm_stream_audible_p50_ms: run.stream?.audible_ms.p50 ?? NaN,
    llm_stream_first_byte_p50_ms: run.stream?.ttfa_ms.p50 ?? NaN,
    llm_stream_underruns: run.stream?.underruns ?? NaN,
    llm_stream_stall_ms: run.stream?.stall_ms ?? NaN,
    // The largest WebSocket concurrency whose turns all played in real time without a stall.
    underrun_free_max_concurrency: levels.filter((l) => l.transport === 'ws' && l.turns > 0 && l.underruns === 0).reduce<number | null>((m, l) => Math.max(m ?? 0, l.concurrency), null),
    underruns_by_concurrency: Object.fromEntries(levels.filter((l) => l.transport === 'ws').map((l) => [l.concurrency, { underruns: l.underruns, stall_ms: l.stall_ms, turns: l.turns }])),
    turn_alone_ms: run.turnMs ?? NaN,
    ttfa_saturation_p50_ms: ws?.ttfa_ms.p50 ?? NaN,
    ttfa_saturation_p95_ms: ws?.ttfa_ms.p95 ?? NaN,
    host_rss_max_mb: worst(levels.map((l) => l.rss_mb)),
    host_failed_turns: levels.reduce((n, l) => n + l.failed, 0),
    tuning: run.tuning?.rows ?? null,
    best_plan: run.tuning?.best_plan ?? null,
    default_plan_vs_best: run.tuning?.default_vs_best ?? NaN,
    stall_recovery_ms: run.faults?.stall_recovery_ms ?? NaN,
    respawn_ms: run.faults?.respawn_ms ?? NaN,
    respawn_load_ms: run.faults?.respawn_load_ms ?? NaN,
    soak_turns: run.soak?.turns ?? NaN,
    soak_hung_turns: run.soak?.hung_turns ?? NaN,
    soak_lost_healthy_chunks: run.soak?.lost_healthy_chunks ?? NaN,
    soak_rss_growth_pct: run.soak?.rss_growth_pct ?? NaN,
    other_cpu_pct: run.otherCpuPct,
    max_other_cpu_pct: worst(Object.values(run.otherCpuPct).map((v) => v ?? NaN)),
    errors: run.errors.map((e) => `${e.part}: ${e.message.split('\n')[0]}`),
    duration_s: round(run.durationS ?? NaN, 1),
  };
}

/** What bench/results/<timestamp>.json holds: the headline, the machine, every part's detail. */
export function resultDocument(run: BenchRun): Record<string, unknown> {
  return nulls({
    started_at: run.startedAt.toISOString(),
    figures: headline(run),
    machine: run.machine,
    model: run.model,
    raw: run.raw ?? null,
    naive: run.naive ?? null,
    host: run.levels === undefined ? null : { plan: run.hostPlan, levels: run.levels },
    tuning: run.tuning ?? null,
    faults: run.faults ?? null,
    soak: run.soak ?? null,
    errors: run.errors,
  }) as Record<string, unknown>;
}

export function headlineJson(run: BenchRun): string {
  return JSON.stringify(nulls({ ...headline(run), machine: run.machine, model_facts: run.model }));
}
