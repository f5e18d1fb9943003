/**
 * Why prepare.ts un-shares the binding's STB_GNU_UNIQUE symbols (elf-patch.ts): two
 * bindings in one process, sessions on each in the main thread and in worker threads
 * (test/fixtures/two-runtimes.mjs). Runtime directories are made here from the bundled
 * library, so no download is needed: prepared as runtime:fetch prepares them, the process
 * survives; with the unique symbols put back, both bindings share one OrtApi pointer and
 * the process crashes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { STB, readDynamic } from '../../src/runtime/elf.ts';
import { BINDING_DIR, BINDING_FILE, ENTRY_FILE, bundledPackageDir, packageVersion } from '../../src/runtime/paths.ts';
import { prepareRuntime } from '../../src/runtime/prepare.ts';

const root = mkdtempSync(join(tmpdir(), 'kokoro-coexist-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const FIXTURE = new URL('../fixtures/two-runtimes.mjs', import.meta.url).pathname;

function fake(name: string): string {
  const dir = join(root, name);
  const library = readFileSync(join(bundledPackageDir(), BINDING_DIR, 'libonnxruntime.so.1'));
  const manifest = prepareRuntime({ library, version: packageVersion(bundledPackageDir()), dir, wheel: { file: 'none', sha256: 'none' } });
  t.same(manifest.binding.unshared, ['_ZZN3Ort6detail6Global3ApiEPK6OrtApiE3api', '_ZGVZN3Ort6detail6Global3ApiEPK6OrtApiE3api']);
  return dir;
}

const run = (dir: string) =>
  spawnSync(process.execPath, [FIXTURE, pathToFileURL(join(dir, ENTRY_FILE)).href], { encoding: 'utf8', timeout: 120_000 });

t.test('as prepared: both runtimes serve in every thread, in both orders', async (t) => {
  const out = run(fake('prepared'));
  t.equal(out.status, 0, out.stderr);
  t.match(out.stdout, /worker bundled ok\nworker newer ok\n/);
  t.match(out.stdout, /survived/);
});

t.test('with the unique symbols shared again, the process crashes', async (t) => {
  const dir = fake('shared');
  const binding = readFileSync(join(dir, BINDING_FILE));
  for (const s of readDynamic(binding).symbols.filter((s) => s.name.value.includes('Global3Api'))) binding[s.entry + 4] = (STB.GNU_UNIQUE << 4) | s.type;
  writeFileSync(join(dir, BINDING_FILE), binding);
  const out = run(dir);
  t.notMatch(out.stdout, /survived/);
  t.not(out.signal ?? out.status, 0, `it died (${out.signal ?? `exit ${out.status}`})`);
});
