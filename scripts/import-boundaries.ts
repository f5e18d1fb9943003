/**
 * The import boundaries of docs/architecture.md, checked: every relative import of the
 * project's TypeScript (src/, workers/, harness/, test/, bench/, scripts/) is resolved to a project path and held against the rules
 * below. `node --import tsx scripts/import-boundaries.ts` prints each violation and exits 1;
 * test/unit/import-boundaries.test.ts runs the same check in `npm test`.
 *
 * A regex over import specifiers is enough here: the project writes imports one way
 * (`import ... from './x.ts'`, `export ... from`, `import('./x.ts')`), and a missed
 * specifier would only make the check weaker, never make it fail wrongly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Rule {
  name: string;
  /** Does the rule apply to an import from `from` (project path) to `to`? True: violation. */
  forbids(from: string, to: string): boolean;
}

const under = (path: string, dir: string) => path.startsWith(`${dir}/`);
const protocolOf = (path: string) => (under(path, 'src/protocols') ? path.split('/')[2] : undefined);
/** What the gateway and the protocols may know of the synth layer: its public types. */
const SYNTH_PUBLIC = new Set(['src/synth/pool-types.ts', 'src/synth/types.ts']);
/** The folders that run the product from outside; the product never imports them. */
const TOOLING = ['harness', 'test', 'bench', 'scripts'];
/** The folders whose imports are checked. */
const CHECKED = ['src', 'workers', ...TOOLING];

export const RULES: readonly Rule[] = [
  {
    name: 'the gateway and the protocols use the pool only through src/synth/pool-types.ts and types.ts',
    forbids: (from, to) => (under(from, 'src/gateway') || under(from, 'src/protocols')) && under(to, 'src/synth') && !SYNTH_PUBLIC.has(to),
  },
  {
    name: 'a protocol does not import another protocol',
    forbids: (from, to) => protocolOf(from) !== undefined && protocolOf(to) !== undefined && protocolOf(from) !== protocolOf(to),
  },
  {
    name: 'the shared gateway (socket, turn, routes) knows no protocol',
    forbids: (from, to) => under(from, 'src/gateway') && under(to, 'src/protocols'),
  },
  {
    name: 'workers import only the thread protocol (src/shared/), the runtime loader (src/runtime/) and their own code',
    forbids: (from, to) => under(from, 'workers') && !under(to, 'workers') && !under(to, 'src/shared') && !under(to, 'src/runtime'),
  },
  {
    name: 'src/shared/ crosses the thread line: it imports nothing of the main thread',
    forbids: (from, to) => under(from, 'src/shared') && !under(to, 'src/shared') && to !== 'src/runtime/types.ts',
  },
  {
    name: 'the product (src/, workers/) imports nothing of the harness, the tests, the bench or the scripts',
    forbids: (from, to) => (under(from, 'src') || under(from, 'workers')) && TOOLING.some((dir) => under(to, dir)),
  },
  {
    name: 'harness/ is what test/, bench/ and scripts/ share: it imports none of them',
    forbids: (from, to) => under(from, 'harness') && ['test', 'bench', 'scripts'].some((dir) => under(to, dir)),
  },
  {
    name: 'bench/ and scripts/ do not import test/ (what they share with it lives in harness/)',
    forbids: (from, to) => (under(from, 'bench') || under(from, 'scripts')) && under(to, 'test'),
  },
  {
    name: 'the synth layer and the pipeline know no gateway or protocol',
    forbids: (from, to) => (under(from, 'src/synth') || under(from, 'src/pipeline')) && (under(to, 'src/gateway') || under(to, 'src/protocols')),
  },
];

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Relative import specifiers of one file's source, resolved to project paths. */
export function importsOf(file: string, source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => posix.normalize(posix.join(posix.dirname(file), m[1]!)));
}

export interface Violation {
  rule: string;
  from: string;
  to: string;
}

/** Every violation among `files` (project path -> source). */
export function violations(files: ReadonlyMap<string, string>, rules: readonly Rule[] = RULES): Violation[] {
  const out: Violation[] = [];
  for (const [from, source] of files) {
    for (const to of importsOf(from, source)) {
      for (const rule of rules) if (rule.forbids(from, to)) out.push({ rule: rule.name, from, to });
    }
  }
  return out;
}

/** The .ts files of the CHECKED folders of the project at `root`, by project path. */
export function projectSources(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const dir of CHECKED) {
    for (const f of readdirSync(join(root, dir), { recursive: true }) as string[]) {
      if (!f.endsWith('.ts')) continue;
      files.set(`${dir}/${f.split(sep).join('/')}`, readFileSync(join(root, dir, f), 'utf8'));
    }
  }
  return files;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const found = violations(projectSources(root));
  for (const v of found) console.error(`${v.from} -> ${v.to}: ${v.rule}`);
  console.log(found.length === 0 ? `import boundaries: ${RULES.length} rules hold` : `import boundaries: ${found.length} violation(s)`);
  process.exitCode = found.length === 0 ? 0 : 1;
  void relative;
}
