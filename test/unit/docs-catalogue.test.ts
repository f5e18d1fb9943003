/**
 * The catalogues people read against the ones the host runs on: every error code is
 * unique, in the README's error table with the catalogue's own status and flags, and used
 * by some source file; every environment variable the configuration reads is in the
 * README's configuration table, and the table names nothing the host does not read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CONFIG_ENV_KEYS } from '../../src/config.ts';
import { ERROR_CATALOGUE, ERROR_CODES } from '../../src/errors.ts';
import { ROOT } from '../../harness/paths.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The rows of the first Markdown table after `heading`, as cells. */
function tableAfter(heading: string): string[][] {
  const at = README.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no "${heading}" section`);
  const lines = README.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows;
}

/** Every backticked name in a cell. */
function names(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

function sourceFiles(dir: string): string[] {
  return (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, dir, f));
}

t.test('error codes: unique, each in the README table with the catalogue status and flags', (t) => {
  t.equal(new Set(ERROR_CODES.map((c) => c.toLowerCase())).size, ERROR_CODES.length, 'no two codes differ only in case');
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  const rows = tableAfter('## Error codes');
  const documented = rows.map((r) => names(r[0] ?? '')[0]);
  t.same([...documented].sort(), [...ERROR_CODES].sort(), 'the table lists every code once, and no other');
  for (const row of rows) {
    const code = names(row[0] ?? '')[0] as keyof typeof ERROR_CATALOGUE;
    const e = ERROR_CATALOGUE[code];
    if (e === undefined) continue;
    t.same(row.slice(1, 5), [String(e.status), yn(e.recoverable), yn(e.retryable), yn(e.failsOver)], `${code}: status and flags as in src/errors.ts`);
    t.ok((row[5] ?? '').length > 0 && e.doc.length > 0, `${code} says what it means`);
  }
  t.end();
});

t.test('error codes: each is used by the host (src/ or workers/, outside the catalogue)', (t) => {
  const sources = [...sourceFiles('src'), ...sourceFiles('workers')]
    .filter((f) => !f.endsWith(join('src', 'errors.ts')))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  for (const code of ERROR_CODES) t.ok(sources.includes(`'${code}'`), `'${code}' appears in the source`);
  t.end();
});

t.test('configuration: every environment variable is in the README table, and only those', (t) => {
  const documented = new Set(tableAfter('## Configuration').flatMap((r) => names(r[0] ?? '')));
  for (const key of CONFIG_ENV_KEYS) t.ok(documented.has(key), `${key} is documented`);
  // Read by glibc, not by the host: set by `npm start` and the Docker image.
  const notOurs = new Set(['MALLOC_ARENA_MAX']);
  for (const name of documented) t.ok(CONFIG_ENV_KEYS.includes(name) || notOurs.has(name), `${name} is read by the host`);
  t.end();
});
