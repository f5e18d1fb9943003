// Prints how long each test file took in the last tap run (from .tap/test-results), slowest
// first, so a slow or creeping test shows in every CI log. Reads files only; exits 0.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = '.tap/test-results';
if (!existsSync(root)) {
  console.log('test times: no .tap/test-results (tap did not run)');
  process.exit(0);
}

function* results(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* results(path);
    else if (entry.name.endsWith('.tap')) yield path;
  }
}

const rows = [];
for (const path of results(root)) {
  const text = readFileSync(path, 'utf8');
  // The last top-level "# time=" line is the file's own total; a file that died has none.
  const times = [...text.matchAll(/^# time=([\d.]+)ms$/gm)];
  const failed = /^not ok /m.test(text);
  const ms = times.length > 0 ? Number(times.at(-1)[1]) : NaN;
  rows.push({ file: relative(root, path).replace(/\.tap$/, ''), ms, failed });
}
rows.sort((a, b) => (b.ms || Infinity) - (a.ms || Infinity));
const total = rows.reduce((s, r) => s + (r.ms || 0), 0);
const width = Math.max(...rows.map((r) => r.file.length));
console.log(`\ntest times (${rows.length} files, ${(total / 1000).toFixed(1)} s summed over parallel jobs):`);
for (const r of rows) {
  const time = Number.isNaN(r.ms) ? 'no time (died)' : `${(r.ms / 1000).toFixed(1).padStart(7)} s`;
  console.log(`  ${r.file.padEnd(width)}  ${time}${r.failed ? '  FAILED' : ''}`);
}
