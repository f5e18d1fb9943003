/**
 * Durations from a model that does not output them: the duration tensor found by graph structure
 * on small generated graphs, added as an output by wire-level surgery (everything else kept), run
 * by onnxruntime, and the prepared copy cached (beside the model, or in the cache when its
 * directory is read-only), with a coded reason for every model it cannot prepare.
 */
import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { F32, GraphBuilder, I64, attr, encodeModel, onnx, valueInfo } from '../../models/synthetic/onnx-graph.ts';
import { durationsModel, findDurationTensor, preparedFileName, withDurationsOutput } from '../../workers/kokoro/durations-model.ts';
import { readGraph } from '../../workers/kokoro/onnx-wire.ts';

const FLOAT = 1;

interface Built {
  bytes: Uint8Array;
  /** The int64 Cast of Clip(Round(x)) whose sum sizes the output, when there is one. */
  durations: string[];
}

/**
 * A Kokoro-shaped toy: x [N] -> Round(x / 0.5) -> Clip(min 1) -> Cast int64 -> frames per token;
 * their sum sets the audio length. Decoys: an int64 Cast without Clip(Round) and a Clip(Round)
 * cast to float, both summed too, so only the structure tells them apart.
 */
function toyModel(opts: { predictors?: number; nativeOutput?: boolean } = {}): Built {
  const g = new GraphBuilder();
  const predictors = opts.predictors ?? 1;
  const durations: string[] = [];
  let total = g.i64('zero', [], [0]);
  for (let p = 0; p < predictors; p++) {
    const round = g.op('Round', [g.op('Div', ['x', g.scalar(`half${p}`, 0.5)])]);
    const frames = g.op('Cast', [g.op('Clip', [round, g.scalar(`min${p}`, 1)])], [attr.int('to', I64)]);
    durations.push(frames);
    total = g.op('Add', [total, g.op('ReduceSum', [g.op('Gather', [frames, g.i64(`all${p}`, [1], [0])])], [attr.int('keepdims', 0)])]);
  }
  const decoyInt = g.op('Cast', ['x'], [attr.int('to', I64)]);
  const decoyFloat = g.op('Cast', [g.op('Clip', [g.op('Round', ['x']), g.scalar('min_d', 0)])], [attr.int('to', FLOAT)]);
  const noise = g.op('Mul', [g.op('ReduceSum', [decoyInt], [attr.int('keepdims', 0)]), g.i64('zero_i', [], [0])]);
  const noiseF = g.op('Cast', [g.op('Mul', [g.op('ReduceSum', [decoyFloat], [attr.int('keepdims', 0)]), g.scalar('zero_f', 0)])], [attr.int('to', I64)]);
  const length = g.op('Add', [g.op('Add', [total, noise]), noiseF]);
  const wave = g.op('Cast', [g.op('Range', [g.i64('start', [], [0]), length, g.i64('step', [], [1])])], [attr.int('to', F32)]);
  g.nodes.push({ opType: 'Identity', input: [wave], output: ['audio'], name: 'audio' });
  const outputs = [valueInfo('audio', F32, ['n'])];
  if (opts.nativeOutput === true) {
    g.nodes.push({ opType: 'Identity', input: [durations[0]!], output: ['durations'], name: 'durations' });
    outputs.push(valueInfo('durations', I64, [1, 't']));
  }
  return { bytes: encodeModel(g.graph('toy', [valueInfo('x', F32, [1, 't'])], outputs), 'toy'), durations };
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'durations-model-'));
  t.teardown(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

t.test('the duration tensor is found by structure, not by name', async (t) => {
  const toy = toyModel();
  t.same(findDurationTensor(readGraph(toy.bytes)), { ok: true, name: toy.durations[0] });
});

t.test('the prepared model adds one node and one output, keeps every other byte, and runs: sum(durations) * samples-per-frame == samples', async (t) => {
  const toy = toyModel();
  const built = withDurationsOutput(toy.bytes);
  if (!built.ok) throw new Error(built.message);
  const before = onnx.ModelProto.decode(toy.bytes).graph!;
  const after = onnx.ModelProto.decode(built.bytes).graph!;
  t.same(after.output!.map((o) => o.name), ['audio', 'durations']);
  t.equal(after.node!.length, before.node!.length + 1);
  t.same(after.node!.at(-1)!.input, [toy.durations[0]]);
  const old = readGraph(toy.bytes).field;
  const now = readGraph(built.bytes).field;
  const payload = toy.bytes.subarray(old.dataStart, old.end);
  t.ok(Buffer.from(built.bytes.subarray(now.dataStart, now.dataStart + payload.length)).equals(payload), 'the original graph bytes are copied unchanged, the additions after them');
  t.ok(Buffer.from(built.bytes.subarray(0, old.start)).equals(toy.bytes.subarray(0, old.start)), 'and the model fields before the graph');
  t.same(after.initializer, before.initializer, 'weights unchanged');
  const session = await ort.InferenceSession.create(built.bytes);
  t.teardown(() => session.release());
  const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([0.6, 1.4, 2.2, 0.1]), [1, 4]) });
  // round(x / 0.5) = 1, 3, 4, 0 -> clipped to at least 1 frame.
  t.same(Array.from(out.durations!.data as BigInt64Array, Number), [1, 3, 4, 1]);
  t.equal((out.audio!.data as Float32Array).length, 9, 'one sample a frame here: the sum rule holds');
});

t.test('a model that cannot be prepared gets a coded reason', async (t) => {
  t.match(withDurationsOutput(toyModel({ predictors: 2 }).bytes), { ok: false, reason: 'duration_tensor_ambiguous' });
  const g = new GraphBuilder();
  g.nodes.push({ opType: 'Identity', input: ['x'], output: ['audio'], name: 'audio' });
  const plain = encodeModel(g.graph('plain', [valueInfo('x', F32, [1])], [valueInfo('audio', F32, [1])]), 'plain');
  t.match(withDurationsOutput(plain), { ok: false, reason: 'duration_tensor_not_found' });
  t.match(withDurationsOutput(new TextEncoder().encode('this is not an onnx model at all')), { ok: false, reason: 'model_unreadable' });
});

t.test('durationsModel: a native durations output is used as it is', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'timed.onnx');
  writeFileSync(path, toyModel({ nativeOutput: true }).bytes);
  t.same(durationsModel(path, join(dir, 'cache')), { ok: true, path, output: 'durations', prepared: false });
  t.same(readdirSync(dir), ['timed.onnx'], 'nothing written');
});

t.test('durationsModel: prepared once beside the model, reused, prepared again when the model changes', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'toy.onnx');
  writeFileSync(path, toyModel().bytes);
  const first = durationsModel(path, join(dir, 'cache'));
  t.match(first, { ok: true, output: 'durations', prepared: true, path: join(dir, preparedFileName(path)) });
  const mtime = statSync((first as { path: string }).path).mtimeMs;
  const again = durationsModel(path, join(dir, 'cache'));
  t.same(again, first, 'the cached copy is found');
  t.equal(statSync((again as { path: string }).path).mtimeMs, mtime, 'and not written again');
  t.notOk(readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temporary file left');
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  const changed = durationsModel(path, join(dir, 'cache'));
  t.not((changed as { path: string }).path, (first as { path: string }).path, 'a replaced model gets its own copy');
});

t.test('durationsModel: a read-only model directory is left alone; the copy goes to the cache', async (t) => {
  const dir = tempDir(t);
  const models = join(dir, 'models');
  const cache = join(dir, 'cache');
  const path = join(models, 'toy.onnx');
  rmSync(models, { recursive: true, force: true });
  // Made in a child directory so the parent stays writable for the teardown.
  mkdirSync(models);
  writeFileSync(path, toyModel().bytes);
  chmodSync(models, 0o555);
  t.teardown(() => chmodSync(models, 0o755));
  const got = durationsModel(path, cache);
  t.match(got, { ok: true, prepared: true, path: join(cache, preparedFileName(path)) });
  t.same(readdirSync(models), ['toy.onnx'], 'nothing written beside the read-only model');
  const prepared = readGraph(readFileSync(join(cache, preparedFileName(path))));
  t.same(prepared.outputs, ['audio', 'durations']);
});

t.test('durationsModel: an unpreparable model and an unwritable cache give coded reasons', async (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.onnx');
  writeFileSync(bad, 'not a model');
  t.match(durationsModel(bad, join(dir, 'cache')), { ok: false, reason: 'model_unreadable' });
  t.match(durationsModel(join(dir, 'missing.onnx'), join(dir, 'cache')), { ok: false, reason: 'model_unreadable' });
  const ambiguous = join(dir, 'two.onnx');
  writeFileSync(ambiguous, toyModel({ predictors: 2 }).bytes);
  t.match(durationsModel(ambiguous, join(dir, 'cache')), { ok: false, reason: 'duration_tensor_ambiguous' });
  const blocked = join(dir, 'blocked');
  const models = join(dir, 'ro');
  mkdirSync(models);
  const path = join(models, 'toy.onnx');
  writeFileSync(path, toyModel().bytes);
  writeFileSync(blocked, 'a file where the cache directory should be');
  chmodSync(models, 0o555);
  t.teardown(() => chmodSync(models, 0o755));
  t.match(durationsModel(path, join(blocked, 'cache')), { ok: false, reason: 'prepared_model_unwritable' });
});
