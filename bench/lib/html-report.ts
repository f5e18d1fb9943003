/**
 * The bench's result document (summary.ts resultDocument) as one self-contained HTML file,
 * written beside the JSON: inline SVG plots and tables, no script, no external asset, so it
 * opens from disk on any machine. Plots: throughput and first audio per concurrency (one
 * line per transport), the tuning matrix, and underruns per concurrency. Every data point
 * carries its value in a <title> (a tooltip, and what the unit test reads back).
 */

type Doc = Record<string, unknown>;
interface Point {
  x: number;
  y: number;
}
interface Series {
  name: string;
  points: Point[];
}

const COLOURS = ['#1f5fbf', '#d0571b', '#2b8a3e', '#8e44ad', '#b8860b'];
const W = 560;
const H = 260;
const PAD = { left: 56, right: 16, top: 16, bottom: 40 };

const esc = (v: unknown) => String(v).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Doc => (typeof v === 'object' && v !== null ? (v as Doc) : {});
const list = (v: unknown): Doc[] => (Array.isArray(v) ? v.map(obj) : []);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v) ?? v;
}

/** A line plot of numeric x against y, one polyline and one circle per point per series. */
export function linePlot(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p>no data</p></figure>`;
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const yMax = niceMax(Math.max(...points.map((p) => p.y)));
  const px = (x: number) => PAD.left + (xs.length === 1 ? 0.5 : xs.indexOf(x) / (xs.length - 1)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = py(f * yMax);
    return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" class="grid"/><text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${esc(+(f * yMax).toPrecision(3))}</text>`;
  });
  const ticks = xs.map((x) => `<text x="${px(x)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${esc(x)}</text>`);
  const lines = series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const path = sorted.map((p) => `${px(p.x)},${py(p.y)}`).join(' ');
    const dots = sorted.map((p) => `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="4" fill="${colour}"><title>${esc(s.name)} ${esc(xLabel)} ${esc(p.x)}: ${esc(p.y)}</title></circle>`);
    return `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>${dots.join('')}`;
  });
  const legend = series.map((s, i) => `<span style="color:${COLOURS[i % COLOURS.length]}">&#9632; ${esc(s.name)}</span>`).join(' ');
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${grid.join('')}${ticks.join('')}${lines.join('')}<text x="${(W + PAD.left) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text><text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${esc(yLabel)}</text></svg><div>${legend}</div></figure>`;
}

/** A bar plot of labelled values. */
export function barPlot(title: string, yLabel: string, bars: readonly { label: string; value: number }[]): string {
  if (bars.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p>no data</p></figure>`;
  const yMax = niceMax(Math.max(...bars.map((b) => b.value)));
  const slot = (W - PAD.left - PAD.right) / bars.length;
  const rects = bars.map((b, i) => {
    const h = (b.value / yMax) * (H - PAD.top - PAD.bottom);
    const x = PAD.left + i * slot + slot * 0.15;
    return `<rect x="${x}" y="${H - PAD.bottom - h}" width="${slot * 0.7}" height="${h}" fill="${COLOURS[0]}"><title>${esc(b.label)}: ${esc(b.value)}</title></rect><text x="${x + slot * 0.35}" y="${H - PAD.bottom + 16}" text-anchor="middle">${esc(b.label)}</text>`;
  });
  const top = `<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${esc(yMax)}</text><text x="${PAD.left - 6}" y="${H - PAD.bottom + 4}" text-anchor="end">0</text>`;
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${top}${rects.join('')}<text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${esc(yLabel)}</text></svg></figure>`;
}

/** One series per transport: `pick` reads the y value of a level (null leaves the point out). */
function perTransport(levels: readonly Doc[], pick: (level: Doc) => number | null, suffix = ''): Series[] {
  const byTransport = new Map<string, Point[]>();
  for (const level of levels) {
    const x = num(level.concurrency);
    const y = pick(level);
    if (x === null || y === null) continue;
    const name = `${String(level.transport ?? 'host')}${suffix}`;
    byTransport.set(name, [...(byTransport.get(name) ?? []), { x, y }]);
  }
  return [...byTransport].map(([name, points]) => ({ name, points }));
}

function figuresTable(figures: Doc): string {
  const rows = Object.entries(figures)
    .filter(([, v]) => typeof v !== 'object' || v === null)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v ?? '-')}</td></tr>`);
  return `<table>${rows.join('')}</table>`;
}

export function htmlReport(doc: Doc): string {
  const levels = list(obj(doc.host).levels);
  const tuning = obj(doc.tuning);
  const rows = list(tuning.rows);
  const model = obj(doc.model);
  const machine = obj(doc.machine);
  const plots = [
    linePlot('Throughput per concurrency', 'concurrency', 'audio s per s', perTransport(levels, (l) => num(l.audio_s_per_s))),
    linePlot('First audio per concurrency (p50)', 'concurrency', 'ms', [
      ...perTransport(levels, (l) => num(obj(l.ttfa_ms).p50), ' first byte'),
      ...perTransport(levels, (l) => num(obj(l.audible_ms).p50), ' first audible'),
    ]),
    barPlot(`Tuning matrix: throughput per plan (workers x threads, concurrency ${esc(tuning.concurrency ?? '?')})`, 'audio s per s', rows.flatMap((r) => {
      const value = num(r.audio_s_per_s);
      return value === null ? [] : [{ label: `${String(r.workers)}x${String(r.threads)}`, value }];
    })),
    linePlot('Underruns per concurrency (played back in real time)', 'concurrency', 'underruns', perTransport(levels, (l) => num(l.underruns))),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kokoro-host bench ${esc(doc.started_at ?? '')}</title>
<style>body{font-family:system-ui,sans-serif;max-width:64rem;margin:1rem auto;padding:0 1rem;color:#1d232b}figure{display:inline-block;margin:0.5rem;vertical-align:top}figcaption{font-weight:600}svg text{font-size:11px;fill:#333}.grid{stroke:#e3e6ea}table{border-collapse:collapse;font-size:0.9rem}th,td{text-align:left;padding:0.15rem 0.6rem;border-bottom:1px solid #eceef1}</style>
</head><body>
<h1>kokoro-host bench</h1>
<p>${esc(doc.started_at ?? '')} · model ${esc(model.path ?? '?')}${model.synthetic === true ? ' (synthetic)' : ''} · ${esc(machine.vcpus ?? '?')} vCPUs · ${esc(machine.cpu_model ?? '')}</p>
${plots.join('\n')}
<h2>Headline figures</h2>
${figuresTable(obj(doc.figures))}
</body></html>
`;
}
