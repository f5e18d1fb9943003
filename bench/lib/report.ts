/** The readable report printed at the end of a run. */
import { headline, type BenchRun } from './summary.ts';
import { fmt, table } from './table.ts';

const x = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${v}x` : '-');

export function renderReport(run: BenchRun): string {
  const h = headline(run);
  const out: string[] = [];
  const m = run.machine;
  out.push('');
  out.push(`kokoro-host bench${run.quick ? ' (quick)' : ''}: ${run.model.path} (${run.model.mb} MB${run.model.synthetic ? ', synthetic' : ''})`);
  out.push(`  ${m.vcpus} vCPUs (${m.cpu_model}; available ${m.cpu.available}, quota ${fmt(m.cpu.quota)}, cpuset ${fmt(m.cpu.cpuset)}), ${m.memory_gb} GB, ${m.os}`);
  out.push(`  node ${m.node}, onnxruntime-node ${m.onnxruntime_node}, commit ${fmt(m.git_commit)}`);

  if (run.raw !== undefined) {
    out.push('', `raw: plain worker_threads, ${run.raw.inputs} pre-tokenized inputs back to back (phonemize ${run.raw.phonemize_ms_per_call} ms/call, not counted)`);
    out.push(table(['plan', 'audio s/s', 'runs', 'audio s', 'wall s', 'load ms'], run.raw.plans.map((p) => [`${p.workers}x${p.threads}`, p.audio_s_per_s, p.runs, p.audio_s, p.wall_s, p.load_ms])));
  }
  if (run.naive !== undefined) {
    const n = run.naive;
    out.push('', `naive: inference on the server's main thread (${n.threads} intra-op threads), HTTP concurrency ${n.load.concurrency}`);
    out.push(
      table(
        ['audio s/s', 'turns', 'failed', 'ttfa p50', 'ttfa p95', 'probe p50', 'probe p99', 'probe max', 'probe fails'],
        [[n.load.audio_s_per_s, n.load.turns, n.load.failed, n.load.ttfa_ms.p50, n.load.ttfa_ms.p95, n.probe_ms.p50, n.probe_ms.p99, n.probe_ms.max, n.probe_ms.failed]],
      ),
    );
  }
  if (run.levels !== undefined) {
    const p = run.hostPlan;
    out.push('', `host: plan ${p === undefined ? '?' : `${p.workers}x${p.threads}`} (ms; ttfa = speak/request -> first audio byte; loop = event-loop delay in the host)`);
    out.push(
      table(
        ['way', 'conc', 'audio s/s', 'rtf', 'ttfa p50', 'p95', 'p99', 'loop p50', 'loop p99', 'probe p99', 'rss MB', 'turns', 'failed', 'cut'],
        run.levels.map((l) => [l.transport, l.concurrency, l.audio_s_per_s, l.rtf, l.ttfa_ms.p50, l.ttfa_ms.p95, l.ttfa_ms.p99, l.eventloop?.p50_ms, l.eventloop?.p99_ms, l.probe_ms.p99, l.rss_mb, l.turns, l.failed, l.cut]),
      ),
    );
    const errors = [...new Set(run.levels.flatMap((l) => l.errors))];
    if (errors.length > 0) out.push(`  errors seen: ${errors.slice(0, 5).join('; ')}`);
  }
  if (run.tuning !== undefined) {
    const t = run.tuning;
    const best = t.best_plan;
    out.push('', `tuning: host per plan, WebSocket concurrency ${t.concurrency}`);
    out.push(
      table(
        ['plan', 'audio s/s', 'ttfa p50', 'ttfa p95', 'loop p99', 'probe p99', 'rss MB', 'failed', ''],
        t.rows.map((r) => [
          `${r.workers}x${r.threads}`,
          r.audio_s_per_s,
          r.ttfa_p50_ms,
          r.ttfa_p95_ms,
          r.eventloop_p99_ms,
          r.probe_p99_ms,
          r.rss_mb,
          r.failed,
          [best?.workers === r.workers && best?.threads === r.threads ? 'best' : '', t.default_plan?.workers === r.workers && t.default_plan?.threads === r.threads ? 'default' : '', r.error === undefined ? '' : 'FAILED']
            .filter(Boolean)
            .join(', '),
        ]),
      ),
    );
  }
  if (run.faults !== undefined) {
    const f = run.faults;
    out.push('', `faults (run deadline ${f.config.KOKORO_RUN_TIMEOUT_MAX_MS} ms, no retries)`);
    out.push(
      table(
        ['fault', 'figure ms', 'detail'],
        [
          ['[[crash]] respawn', f.respawn_ms, `model load ${f.respawn_load_ms} ms; turn ${f.crash_turn.outcome} (${f.crash_turn.errors.join(',') || 'no error'})`],
          ['[[stall:20000]] recovery', f.stall_recovery_ms, `stalled turn ${f.stall_turn.outcome} (${f.stall_turn.errors.join(',') || 'no error'}) at ${f.stall_turn.end_ms} ms; next turn ${f.after_stall_turn.outcome}`],
          ['/healthz during faults', f.probe_ms.p99, `p99 (max ${f.probe_ms.max}, ${f.probe_ms.failed} failed)`],
        ],
      ),
    );
  }
  if (run.soak !== undefined) {
    const s = run.soak;
    out.push('', `soak: ${s.turns}/${s.planned_turns} turns in ${s.duration_s} s${s.cut_short ? ' (CUT SHORT by the time bound)' : ''}`);
    out.push(
      table(
        ['hung', 'lost chunks', 'order errs', 'bad endings', 'stray frames', 'reconnects', 'rss warm', 'rss end', 'growth %'],
        [[s.hung_turns, s.lost_healthy_chunks, s.order_violations, s.unexpected_endings, s.stray_frames, s.reconnects, s.rss_warm_mb, s.rss_end_mb, s.rss_growth_pct]],
      ),
    );
    out.push(`  turns: ${Object.entries(s.kinds).map(([k, v]) => `${k} ${v}`).join(', ')}; endings: ${Object.entries(s.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  out.push('', 'headline');
  out.push(
    table(
      ['figure', 'value'],
      [
        ['raw (best plan) audio s/s', h.raw_audio_s_per_s as number],
        ['host ws (saturation) audio s/s', h.host_audio_s_per_s as number],
        ['host / raw', x(h.host_vs_raw)],
        ['naive audio s/s', h.naive_audio_s_per_s as number],
        ['host / naive', x(h.host_vs_naive)],
        ['/healthz p99 ms: naive | host (worst level)', `${fmt(h.naive_probe_p99_ms as number)} | ${fmt(h.host_probe_p99_ms as number)}`],
        ['host event-loop p99 ms (worst level)', h.host_eventloop_p99_ms as number],
        ['ttfa p50 / p95 ms (ws, 1 client)', `${fmt(h.ttfa_p50_ms as number)} / ${fmt(h.ttfa_p95_ms as number)}`],
        ['best plan (tuning)', h.best_plan === null ? '-' : `${(h.best_plan as { workers: number }).workers}x${(h.best_plan as { threads: number }).threads}`],
        ['stall recovery ms | respawn ms', `${fmt(h.stall_recovery_ms as number)} | ${fmt(h.respawn_ms as number)}`],
      ],
    ),
  );
  if (run.errors.length > 0) {
    out.push('', 'PARTS THAT FAILED');
    for (const e of run.errors) out.push(`  ${e.part}: ${e.message.split('\n')[0]}`);
  }
  return out.join('\n');
}
