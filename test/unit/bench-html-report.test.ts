/**
 * The bench's HTML report (bench/lib/html-report.ts) on a result-document fixture: every data
 * point is in a plot, nothing is loaded from anywhere, and text is escaped.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { htmlReport } from '../../bench/lib/html-report.ts';
import { ROOT } from '../../harness/paths.ts';

const doc = JSON.parse(readFileSync(`${ROOT}test/fixtures/bench-result.json`, 'utf8')) as Record<string, unknown>;
const html = htmlReport(doc);

const titles = [...html.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);

t.test('throughput, first audio, tuning and underruns: every point of the fixture is plotted', async (t) => {
  for (const title of [
    'ws concurrency 1: 3.41',
    'ws concurrency 4: 4.87',
    'http concurrency 1: 3.02',
    'ws first byte concurrency 4: 402',
    'ws first audible concurrency 1: 205',
    'http first byte concurrency 1: 199',
    '1x2: 4.11',
    '2x1: 4.93',
    'ws concurrency 4: 3',
    'http concurrency 1: 1',
  ]) {
    t.ok(titles.includes(title), `a point titled "${title}"`);
  }
  t.notOk(titles.some((x) => x?.startsWith('http first audible')), 'a missing value is left out, not drawn as 0');
  t.equal((html.match(/<svg /g) ?? []).length, 4, 'four plots');
  t.match(html, '<th>host_audio_s_per_s</th><td>4.87</td>', 'the headline figures');
});

t.test('self-contained: no script, no external URL', async (t) => {
  t.notMatch(html, /<script|<link|src=|https?:\/\//i);
});

t.test('text from the run is escaped; an empty document still renders', async (t) => {
  const odd = htmlReport({ ...doc, model: { path: '<b>&"x"' } });
  t.match(odd, '&lt;b&gt;&amp;&quot;x&quot;');
  t.notMatch(odd, '<b>&');
  const empty = htmlReport({});
  t.match(empty, '<h1>kokoro-host bench</h1>');
  t.equal((empty.match(/no data/g) ?? []).length, 4, 'each plot says it has no data');
});
