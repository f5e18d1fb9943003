/**
 * src/runtime/resolve.ts without the download: runtime directories are prepared here from
 * onnxruntime-node's own bundled library (1.30.0, patched exactly as a newer one would be),
 * then damaged in each way the resolver must survive. Every fallback is a real load: the
 * bundled runtime runs the synthetic model, and the reason is reported.
 *
 * The subtests run in order and share this process, as worker threads share one: the
 * dynamic loader reuses a library it has already loaded under the same soname, which the
 * "same soname" subtest relies on (and which the resolver's /proc/self/maps check exists
 * for). The last one starts a real pool on a broken directory: the host's WARNING and metric.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { testConfig } from '../../src/config.ts';
import { createMetrics } from '../../src/metrics.ts';
import { renameNeededVersion } from '../../src/runtime/elf-patch.ts';
import { MANIFEST_FILE, BINDING_DIR, BINDING_FILE, bundledPackageDir, packageVersion } from '../../src/runtime/paths.ts';
import { NEWER_RUNTIME } from '../../src/runtime/pinned.ts';
import { prepareRuntime } from '../../src/runtime/prepare.ts';
import { loadRuntime, type LoadedRuntime } from '../../src/runtime/resolve.ts';
import { SynthPool } from '../../src/synth/pool.ts';
import { SYNTHETIC_MODEL } from '../../harness/paths.ts';
import { memoryLogger } from '../helpers/pool.ts';

const BUNDLED_VERSION = packageVersion(bundledPackageDir());
const BUNDLED_LIB = join(bundledPackageDir(), BINDING_DIR, 'libonnxruntime.so.1');
const root = mkdtempSync(join(tmpdir(), 'kokoro-ort-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** A runtime directory made from the bundled library, as runtime:fetch makes one from the wheel. */
function fake(name: string): string {
  const dir = join(root, name);
  prepareRuntime({ library: readFileSync(BUNDLED_LIB), version: BUNDLED_VERSION, dir, wheel: { file: 'none', sha256: 'none' } });
  return dir;
}

const mapped = (file: string) => readFileSync('/proc/self/maps', 'utf8').includes(` ${file}\n`);

/** A real inference on the synthetic model with the runtime's own Tensor class. */
async function runs(t: Test, { ort }: LoadedRuntime): Promise<void> {
  t.ok(existsSync(SYNTHETIC_MODEL), 'the synthetic model exists (npm run model:synthetic)');
  const session = await ort.InferenceSession.create(SYNTHETIC_MODEL, { intraOpNumThreads: 1 });
  const out = await session.run({
    input_ids: new ort.Tensor('int64', new BigInt64Array([0n, 5n, 7n, 0n]), [1, 4]),
    style: new ort.Tensor('float32', new Float32Array(256), [1, 256]),
    speed: new ort.Tensor('float32', new Float32Array([1]), [1]),
  });
  t.ok(Object.values(out)[0]!.data.length > 0, 'it synthesizes');
  await session.release();
}

async function fallsBack(t: Test, runtime: LoadedRuntime, reason: RegExp): Promise<void> {
  t.equal(runtime.info.source, 'bundled');
  t.equal(runtime.info.version, BUNDLED_VERSION);
  t.match(runtime.info.fallbackReason, reason);
  t.ok(mapped(runtime.info.path), 'the bundled library is the one mapped');
  await runs(t, runtime);
}

t.test('auto with nothing prepared: the bundled runtime, with a note and no warning', async (t) => {
  const runtime = await loadRuntime({ cacheRoot: join(root, 'empty') });
  t.equal(runtime.info.source, 'bundled');
  t.equal(runtime.info.fallbackReason, undefined);
  t.match(runtime.info.note, /npm run runtime:fetch/);
  await runs(t, runtime);
});

t.test('bundled, and other platforms, use the bundled runtime', async (t) => {
  const bundled = await loadRuntime({ choice: 'bundled' });
  t.same([bundled.info.source, bundled.info.note, bundled.info.fallbackReason], ['bundled', undefined, undefined]);
  const mac = await loadRuntime({ platform: 'darwin', arch: 'arm64', cacheRoot: root });
  t.equal(mac.info.source, 'bundled');
  t.match(mac.info.note, /only prepared for linux-x64, and this is darwin-arm64/);
});

t.test('auto: a directory holding another version than the pinned one', async (t) => {
  fake(NEWER_RUNTIME.version);
  await fallsBack(t, await loadRuntime({ cacheRoot: root }), new RegExp(`holds onnxruntime ${BUNDLED_VERSION}, the host pins ${NEWER_RUNTIME.version}`));
});

t.test('a directory without a manifest (never finished)', async (t) => {
  const dir = fake('no-manifest');
  rmSync(join(dir, MANIFEST_FILE));
  await fallsBack(t, await loadRuntime({ choice: dir }), /has no manifest\.json/);
});

t.test('a missing or truncated library', async (t) => {
  const missing = fake('missing-lib');
  const lib = JSON.parse(readFileSync(join(missing, MANIFEST_FILE), 'utf8')).library.file as string;
  rmSync(join(missing, lib));
  await fallsBack(t, await loadRuntime({ choice: missing }), /is missing/);
  const truncated = fake('truncated-lib');
  writeFileSync(join(truncated, lib), readFileSync(join(truncated, lib)).subarray(0, 1000));
  await fallsBack(t, await loadRuntime({ choice: truncated }), /has 1000 bytes, the manifest says/);
});

t.test('prepared from another onnxruntime-node', async (t) => {
  const dir = fake('stale');
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
  manifest.binding.from.version = '1.29.0';
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  await fallsBack(t, await loadRuntime({ choice: dir }), /prepared from onnxruntime-node 1\.29\.0 and .* is installed: run npm run runtime:fetch/);
});

t.test('a library that is not ELF: dlopen fails, the host does not', async (t) => {
  const dir = fake('garbage-lib');
  const lib = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')).library.file as string;
  writeFileSync(join(dir, lib), Buffer.alloc(readFileSync(join(dir, lib)).length));
  await fallsBack(t, await loadRuntime({ choice: dir }), /could not be used: .*(invalid ELF header|file too short)/);
});

t.test('a library without the version the binding needs: the dynamic loader refuses it', async (t) => {
  const dir = fake('version-mismatch');
  const binding = readFileSync(join(dir, BINDING_FILE));
  // As if the directory claimed 1.32 but held a 1.30 library.
  renameNeededVersion(binding, `libonnxrt-${BUNDLED_VERSION}.so`, `VERS_${BUNDLED_VERSION}`, 'VERS_9.99.9');
  writeFileSync(join(dir, BINDING_FILE), binding);
  await fallsBack(t, await loadRuntime({ choice: dir }), /version `VERS_9\.99\.9' not found/);
});

t.test('a good directory loads beside the bundled runtime, with its own module', async (t) => {
  const dir = fake('good');
  const runtime = await loadRuntime({ choice: dir });
  t.equal(runtime.info.source, 'newer');
  t.equal(runtime.info.version, BUNDLED_VERSION);
  t.equal(runtime.info.fallbackReason, undefined);
  t.match(runtime.info.path, /\/good\/bin\/napi-v6\/linux\/x64\/libonnxrt-\d+\.\d+\.\d+\.so$/);
  t.ok(mapped(runtime.info.path), 'its library is mapped');
  t.ok(mapped(BUNDLED_LIB), 'and so is the bundled one, loaded earlier in this process');
  const bundled = await loadRuntime({ choice: 'bundled' });
  t.not(runtime.ort.Tensor, bundled.ort.Tensor, 'each runtime has its own onnxruntime-common');
  await runs(t, runtime);
  await runs(t, bundled);
  t.equal(await loadRuntime({ choice: dir }), runtime, 'memoized: one module per thread');
});

t.test('a second directory whose library has the same soname: caught by the mapping check', async (t) => {
  const dir = fake('same-soname');
  await fallsBack(t, await loadRuntime({ choice: dir }), /its binding loaded, but .*same-soname.* is not mapped/);
});

t.test('a pool given an unusable runtime serves on the bundled one and says so: WARNING and metric', async (t) => {
  const dir = fake('pool-broken');
  rmSync(join(dir, MANIFEST_FILE));
  const metrics = createMetrics(new Registry());
  const log = memoryLogger();
  const pool = new SynthPool(testConfig({ modelPath: SYNTHETIC_MODEL, workers: 1, threadsPerWorker: 1, ort: dir }), metrics, log);
  t.teardown(() => pool.close());
  await pool.start();
  t.same([pool.runtime?.source, pool.runtime?.version], ['bundled', BUNDLED_VERSION]);
  const warning = log.lines.find((l) => l.level === 'warn' && l.msg.startsWith(`running the bundled onnxruntime ${BUNDLED_VERSION}: `));
  t.match(warning?.msg, /pool-broken has no manifest\.json/);
  t.match(await metrics.registry.metrics(), `kokoro_onnxruntime_info{version="${BUNDLED_VERSION}",source="bundled"} 1`);
  t.ok((await pool.synthesize({ text: 'Hello.', voice: 'af_heart', speed: 1, owner: 't' })).pcm.length > 0);
});
