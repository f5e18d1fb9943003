/**
 * Paths the configuration resolves: a relative KOKORO_MODEL keeps its spaces (a file: URL's
 * pathname would turn them into %20 and miss the file), and the project root is found by
 * its package.json, not by a "/dist/" substring that a checkout's own path may contain.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { resolveModelPath } from '../../src/config.ts';
import { projectRootOf } from '../../src/runtime/paths.ts';

t.test('a relative KOKORO_MODEL with a space resolves to that file, from the working directory', (t) => {
  t.equal(resolveModelPath('models/my model.onnx'), join(process.cwd(), 'models/my model.onnx'));
  t.equal(resolveModelPath('/opt/with space/m.onnx'), '/opt/with space/m.onnx');
  t.end();
});

t.test('the project root is the nearest package.json, from src/ and dist/src/ alike, under a "dist" directory too', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'kokoro-root-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'dist', 'my project');
  for (const dir of ['src/runtime', 'dist/src/runtime']) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{}');
  for (const file of ['src/config.ts', 'src/runtime/paths.ts', 'dist/src/config.js', 'dist/src/runtime/paths.js']) {
    t.equal(projectRootOf(pathToFileURL(join(root, file)).href), `${root}/`, file);
  }
  t.end();
});
