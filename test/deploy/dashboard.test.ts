/**
 * deploy/grafana/dashboard.json queries only metrics the host really exports: every
 * metric name in its PromQL is declared in a real /metrics answer (the gateway over a fake
 * pool registers the same metrics as the production host), and it covers what an operator
 * watches: first audio, throughput, queue, workers by state, zombies, respawns, event-loop
 * delay, RSS.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { startHost } from '../helpers/gateway.ts';
import { ROOT } from '../../harness/paths.ts';

type Panel = { title: string; targets?: Array<{ expr: string }> };
const dashboard = JSON.parse(readFileSync(`${ROOT}deploy/grafana/dashboard.json`, 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ query: string }> };
};

/** Metric names in a PromQL expression: a name followed by its label matcher, or the first argument of label_values(). */
export function metricNames(expr: string): string[] {
  const names = [...expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]!);
  const labelValues = [...expr.matchAll(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)].map((m) => m[1]!);
  return [...names, ...labelValues];
}

/** Every series name a /metrics text declares (# TYPE), histograms and summaries with their series. */
function declared(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [name, type] = [m[1]!, m[2]!];
    out.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) out.add(name + s);
  }
  return out;
}

const exprs = [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((x) => x.expr)), ...dashboard.templating.list.map((v) => v.query)];

t.test('the extractor finds names (and so can fail)', async (t) => {
  t.same(metricNames('histogram_quantile(0.5, sum by (le) (rate(kokoro_nope_bucket{job=~"$job"}[5m])))'), ['kokoro_nope_bucket']);
  t.same(metricNames('label_values(kokoro_queue_depth, job)'), ['kokoro_queue_depth']);
});

t.test('every metric the dashboard queries is in /metrics', async (t) => {
  const host = await startHost(t);
  const res = await fetch(`${host.base}/metrics`);
  t.equal(res.status, 200);
  const exported = declared(await res.text());
  const used = [...new Set(exprs.flatMap(metricNames))];
  t.ok(used.length >= 10, `${used.length} metrics used`);
  for (const name of used) t.ok(exported.has(name), `${name} is exported`);
});

t.test('the dashboard covers what an operator watches', async (t) => {
  const used = new Set(exprs.flatMap(metricNames));
  const wanted: Record<string, string> = {
    'first audio': 'kokoro_turn_first_chunk_seconds_bucket',
    throughput: 'kokoro_chunks_delivered_total',
    queue: 'kokoro_queue_depth',
    'workers by state': 'kokoro_workers',
    zombies: 'kokoro_worker_zombies',
    respawns: 'kokoro_worker_respawns_total',
    'event-loop delay': 'kokoro_event_loop_delay_p99_seconds',
    RSS: 'process_resident_memory_bytes',
  };
  for (const [what, name] of Object.entries(wanted)) t.ok(used.has(name), `${what}: ${name}`);
  const titles = dashboard.panels.map((p) => p.title);
  t.equal(new Set(titles).size, titles.length, 'panel titles are distinct');
});
