/**
 * The import boundaries of docs/architecture.md hold in the product (src/, workers/) and its
 * tooling (harness/, test/, bench/, scripts/), and the check
 * that says so does catch each kind of violation.
 */
import t from 'tap';
import { importsOf, projectSources, RULES, violations } from '../../scripts/import-boundaries.ts';
import { ROOT } from '../../harness/paths.ts';

t.test('the product and its tooling keep every import boundary', (t) => {
  const files = projectSources(ROOT);
  t.ok(files.size > 50, `the check read the project (${files.size} files)`);
  t.same(violations(files), []);
  t.end();
});

t.test('import specifiers are found in every form the project writes', (t) => {
  const source = [
    `import { a } from './a.ts';`,
    `import type { B } from '../b/b.ts';`,
    `export { c } from "./c.ts";`,
    `import './side-effect.ts';`,
    `const d = await import('../d.ts');`,
    `import { e } from 'node:fs';`,
  ].join('\n');
  t.same(importsOf('src/x/y.ts', source), ['src/x/a.ts', 'src/b/b.ts', 'src/x/c.ts', 'src/x/side-effect.ts', 'src/d.ts']);
  t.end();
});

t.test('each rule catches the import it forbids, and allows the one beside it', (t) => {
  const cases: [from: string, to: string, forbidden: boolean][] = [
    ['src/gateway/turn/turn.ts', 'src/synth/pool.ts', true],
    ['src/protocols/openai/route.ts', 'src/synth/fair-queue.ts', true],
    ['src/gateway/context.ts', 'src/synth/pool-types.ts', false],
    ['src/protocols/deepgram/query.ts', 'src/protocols/native-ws/messages.ts', true],
    ['src/protocols/deepgram/session.ts', 'src/protocols/deepgram/audio.ts', false],
    ['src/gateway/socket/connection.ts', 'src/protocols/native-ws/frames.ts', true],
    ['workers/synth.worker.ts', 'src/synth/pool.ts', true],
    ['workers/synth.worker.ts', 'src/common/audio.ts', true],
    ['workers/synth.worker.ts', 'src/shared/protocol.ts', false],
    ['workers/kokoro/session.ts', 'src/runtime/resolve.ts', false],
    ['src/shared/protocol.ts', 'src/common/audio.ts', true],
    ['src/shared/protocol.ts', 'src/runtime/types.ts', false],
    ['src/pipeline/turn-pipeline.ts', 'src/gateway/context.ts', true],
    ['src/synth/pool.ts', 'src/protocols/openai/stream.ts', true],
    ['src/config.ts', 'harness/paths.ts', true],
    ['workers/synth.worker.ts', 'test/helpers/pool.ts', true],
    ['harness/host-process.ts', 'test/helpers/gateway.ts', true],
    ['harness/child.ts', 'bench/lib/stats.ts', true],
    ['scripts/soak.ts', 'test/helpers/inbox.ts', true],
    ['bench/lib/host.ts', 'test/helpers/pool.ts', true],
    ['scripts/soak.ts', 'harness/host-process.ts', false],
    ['bench/lib/host.ts', 'harness/child.ts', false],
    ['test/reliability/protocol.test.ts', 'harness/host-process.ts', false],
    ['test/integration/bench-smoke.test.ts', 'bench/lib/stats.ts', false],
  ];
  for (const [from, to, forbidden] of cases) {
    const spec = toRelative(from, to);
    const found = violations(new Map([[from, `import { x } from '${spec}';`]]), RULES);
    t.equal(found.length > 0, forbidden, `${from} -> ${to}: ${forbidden ? 'forbidden' : 'allowed'}`);
  }
  t.end();
});

/** The relative specifier `from` would write for `to`. */
function toRelative(from: string, to: string): string {
  const up = from.split('/').length - 1;
  return `${'../'.repeat(up)}${to}`;
}
