/**
 * The newer onnxruntime prepared by `npm run runtime:fetch` (src/runtime/), for real:
 * it loads as the host's `auto` choice, runs beside the bundled runtime in one process
 * (as it must in every worker, where kokoro-js loads the bundled one) with each binding
 * calling its own library, the pool reports it, it produces the bundled runtime's audio on
 * the genuine model, and preparing it again from the same wheel gives the same bytes. Without a prepared runtime every test here
 * reports itself skipped with the reason, never passed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import onnxProto from 'onnx-proto';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { testConfig } from '../../src/config.ts';
import { createMetrics } from '../../src/metrics.ts';
import { wheelPath } from '../../src/runtime/fetch.ts';
import { readManifest } from '../../src/runtime/manifest.ts';
import { ENTRY_FILE, cacheRoot, runtimeDir } from '../../src/runtime/paths.ts';
import { NEWER_RUNTIME } from '../../src/runtime/pinned.ts';
import { libraryFromWheel, prepareRuntime } from '../../src/runtime/prepare.ts';
import { loadRuntime, type LoadedRuntime } from '../../src/runtime/resolve.ts';
import { SynthPool } from '../../src/synth/pool.ts';
import { caseOptions, GENUINE_MODEL, sentenceInput, SENTENCE } from '../../bench/runtime.ts';
import { memoryLogger } from '../helpers/pool.ts';
import { SYNTHETIC_MODEL } from '../../harness/paths.ts';

const ROOT = cacheRoot(process.env.KOKORO_ORT_DIR);
const DIR = runtimeDir(ROOT, NEWER_RUNTIME.version);
const notPrepared = existsSync(DIR) ? false : `no newer onnxruntime in ${DIR} (npm run runtime:fetch): the newer runtime was NOT checked`;
const noModel = existsSync(GENUINE_MODEL) ? false : `no genuine model at ${GENUINE_MODEL}: newer vs bundled audio NOT compared`;
const noWheel = existsSync(wheelPath(ROOT)) ? false : `no downloaded wheel at ${wheelPath(ROOT)}: re-preparing NOT checked`;

const mapped = () =>
  readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.split(' ').pop()!)
    .filter((p) => /libonnxr/.test(p));

async function synthesize(runtime: LoadedRuntime, model: string, ids: number[], style: number[], threads = 1): Promise<Float32Array> {
  const { ort } = runtime;
  const session = await ort.InferenceSession.create(model, caseOptions(threads));
  const out = await session.run({
    [session.inputNames.includes('tokens') ? 'tokens' : 'input_ids']: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    style: new ort.Tensor('float32', Float32Array.from(style), [1, style.length]),
    speed: new ort.Tensor('float32', new Float32Array([1]), [1]),
  });
  await session.release();
  return Object.values(out)[0]!.data as Float32Array;
}

t.test(`auto loads onnxruntime ${NEWER_RUNTIME.version} beside the bundled runtime`, { skip: notPrepared }, async (t: Test) => {
  const newer = await loadRuntime({ cacheRoot: ROOT });
  t.same([newer.info.source, newer.info.version, newer.info.fallbackReason], ['newer', NEWER_RUNTIME.version, undefined]);
  t.equal(newer.info.path, join(DIR, readManifest(DIR).library.file));
  const bundled = await loadRuntime({ choice: 'bundled' });
  const libs = mapped();
  t.ok(libs.includes(newer.info.path) && libs.includes(bundled.info.path), `both libraries are mapped: ${[...new Set(libs)].join(', ')}`);
  const style = new Array<number>(256).fill(0.1);
  const a = await synthesize(newer, SYNTHETIC_MODEL, [0, 5, 7, 9, 0], style);
  const b = await synthesize(bundled, SYNTHETIC_MODEL, [0, 5, 7, 9, 0], style);
  t.equal(a.length, b.length);
  t.ok(a.every((v, i) => Math.abs(v - b[i]!) < 1e-4), 'both compute the synthetic model alike');
});

/**
 * An Identity model at ONNX opset 27: onnxruntime 1.32 loads it, 1.30 refuses it
 * ("opset 27 is under development"), so whether a binding's session accepts it tells
 * which library the binding really calls, whatever is mapped.
 */
function opsetProbe(): string {
  const { onnx } = onnxProto;
  const value = (name: string) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
  const graph = { name: 'probe', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [value('x')], output: [value('y')] };
  return Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 10, opsetImport: [{ domain: '', version: 27 }], graph })).finish()).toString('base64');
}

t.test('each binding calls its own library, in every thread and order (test/fixtures/two-runtimes.mjs)', { skip: notPrepared }, async (t: Test) => {
  const fixture = new URL('../fixtures/two-runtimes.mjs', import.meta.url).pathname;
  const run = spawnSync(process.execPath, [fixture, pathToFileURL(join(DIR, ENTRY_FILE)).href, opsetProbe()], { encoding: 'utf8', timeout: 120_000 });
  t.equal(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  t.equal(lines.at(-1), 'survived');
  const steps = lines.slice(0, -1);
  t.equal(steps.length, 11);
  for (const line of steps) t.match(line, line.includes(' newer ') ? / newer ok probe accepted$/ : / bundled ok probe refused$/, line);
});

t.test('a real pool reports the newer runtime: log line and metric', { skip: notPrepared }, async (t: Test) => {
  const metrics = createMetrics(new Registry());
  const log = memoryLogger();
  const pool = new SynthPool(testConfig({ modelPath: SYNTHETIC_MODEL, workers: 1, threadsPerWorker: 1, ortDir: ROOT }), metrics, log);
  t.teardown(() => pool.close());
  await pool.start();
  t.same([pool.runtime?.source, pool.runtime?.version], ['newer', NEWER_RUNTIME.version]);
  t.ok(log.lines.some((l) => l.level === 'info' && l.msg === `onnxruntime ${NEWER_RUNTIME.version} (newer)`));
  t.match(await metrics.registry.metrics(), `kokoro_onnxruntime_info{version="${NEWER_RUNTIME.version}",source="newer"} 1`);
  const out = await pool.synthesize({ text: 'Hello there.', voice: 'af_heart', speed: 1, owner: 't' });
  t.ok(out.pcm.length > 0);
});

t.test('on the genuine model the newer runtime speaks as the bundled one does', { skip: notPrepared || noModel }, async (t: Test) => {
  const { ids, style } = await sentenceInput(SENTENCE);
  const newer = await synthesize(await loadRuntime({ cacheRoot: ROOT }), GENUINE_MODEL, ids, style);
  const bundled = await synthesize(await loadRuntime({ choice: 'bundled' }), GENUINE_MODEL, ids, style);
  t.equal(newer.length, bundled.length, 'same duration');
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < newer.length; i++) {
    dot += newer[i]! * bundled[i]!;
    na += newer[i]! ** 2;
    nb += bundled[i]! ** 2;
  }
  const correlation = dot / Math.sqrt(na * nb);
  t.ok(correlation > 0.98, `waveforms correlate (${correlation.toFixed(5)})`);
});

t.test('preparing again from the same wheel gives the same bytes', { skip: notPrepared || noWheel }, async (t: Test) => {
  const scratch = mkdtempSync(join(tmpdir(), 'kokoro-prep-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const again = prepareRuntime({
    library: libraryFromWheel(wheelPath(ROOT), NEWER_RUNTIME.version),
    version: NEWER_RUNTIME.version,
    dir: join(scratch, NEWER_RUNTIME.version),
    wheel: { file: NEWER_RUNTIME.wheel.file, sha256: NEWER_RUNTIME.wheel.sha256 },
  });
  const installed = readManifest(DIR);
  t.same([again.library.sha256, again.binding.sha256], [installed.library.sha256, installed.binding.sha256]);
});
