import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import t from 'tap';
import { STALL_FILE, SYNTHETIC_FILE, generateSyntheticModels } from '../../models/synthetic/generate.ts';
import {
  AMPLITUDE_SPREAD,
  decodeSyntheticIds,
  fitTone,
  syntheticAmplitude,
  syntheticHop,
  syntheticSamples,
  syntheticSegments,
} from '../helpers/synthetic-audio.ts';

const dir = mkdtempSync(join(tmpdir(), 'synthetic-models-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const written = generateSyntheticModels(dir);

const options: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  // The refused-input cases below would log their expected failures as errors.
  logSeverityLevel: 4,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};
const synthetic = await ort.InferenceSession.create(join(dir, SYNTHETIC_FILE), options);
t.teardown(() => synthetic.release());
const stall = await ort.InferenceSession.create(join(dir, STALL_FILE), options);
t.teardown(() => stall.release());

/** A deterministic pseudo-random sentence of `n` ids framed by pads, as the worker sends them. */
function framedIds(n: number, seed = 1): number[] {
  const ids = [0];
  let x = seed;
  for (let i = 0; i < n - 2; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    ids.push(1 + (x % 177));
  }
  ids.push(0);
  return ids;
}

function styleOf(fill: (k: number) => number): Float32Array {
  return Float32Array.from({ length: 256 }, (_, k) => fill(k));
}
const STYLE_A = styleOf((k) => 0.2 * Math.sin(k));
const STYLE_B = styleOf((k) => 0.35 + 0.1 * Math.cos(k));

async function speak(
  session: ort.InferenceSession,
  ids: readonly number[],
  style: Float32Array = STYLE_A,
  speed = 1,
): Promise<Float32Array> {
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    style: new ort.Tensor('float32', style, [1, style.length]),
    speed: new ort.Tensor('float32', new Float32Array([speed]), [1]),
  });
  const wave = out['waveform'];
  if (wave === undefined) throw new Error('no waveform output');
  return wave.data as Float32Array;
}

t.test('the generator writes both models and is idempotent', async (t) => {
  t.same(
    written.map((w) => w.path),
    [join(dir, SYNTHETIC_FILE), join(dir, STALL_FILE)],
  );
  t.ok(written.every((w) => w.changed && w.bytes > 1_000_000), 'both written, with real weights');
  const before = written.map((w) => readFileSync(w.path));
  const again = generateSyntheticModels(dir);
  t.ok(again.every((w) => !w.changed), 'a second run leaves identical files alone');
  t.same(again.map((w) => readFileSync(w.path)), before, 'same bytes');
});

t.test('Kokoro input and output names and types (and durations, like the timestamped exports)', async (t) => {
  for (const session of [synthetic, stall]) {
    t.same(
      session.inputMetadata.map((m) => (m.isTensor ? [m.name, m.type, m.shape] : [m.name])),
      [
        ['input_ids', 'int64', [1, 'sequence_length']],
        ['style', 'float32', [1, 256]],
        ['speed', 'float32', [1]],
      ],
    );
    t.same(
      session.outputMetadata.map((m) => (m.isTensor ? [m.name, m.type] : [m.name])),
      [
        ['waveform', 'float32'],
        ['durations', 'int64'],
      ],
    );
  }
});

t.test('durations: one frame per id, pads included, so sum(durations) * samples-per-token == samples', async (t) => {
  for (const [n, speed] of [[5, 1], [12, 1.7], [3, 0.6]] as const) {
    const ids = new BigInt64Array(n).fill(3n);
    const out = await synthetic.run({
      input_ids: new ort.Tensor('int64', ids, [1, n]),
      style: new ort.Tensor('float32', new Float32Array(256), [1, 256]),
      speed: new ort.Tensor('float32', new Float32Array([speed]), [1]),
    });
    const durations = Array.from(out['durations']!.data as BigInt64Array, Number);
    t.same(durations, new Array(n).fill(1));
    const hop = syntheticSamples(1, speed);
    t.equal(durations.reduce((a, b) => a + b, 0) * hop, (out['waveform']!.data as Float32Array).length, `n=${n} speed=${speed}`);
  }
});

t.test('exact lengths: N * floor(600 / speed) samples', async (t) => {
  t.equal(syntheticSamples(10, 1), 6000);
  t.equal(syntheticSamples(10, 2), 3000);
  for (const n of [3, 17, 64]) {
    for (const speed of [0.25, 0.5, 0.8, 1, 1.1, 1.3, 2, 3.7, 4]) {
      const pcm = await speak(synthetic, framedIds(n), STYLE_A, speed);
      t.equal(pcm.length, syntheticSamples(n, speed), `N=${n} speed=${speed}`);
    }
  }
  t.ok(syntheticSamples(40, 2) < syntheticSamples(40, 1), 'faster speech is shorter');
});

t.test('the ids can be read back from the audio at any speed', async (t) => {
  const ids = framedIds(40, 7);
  for (const speed of [0.5, 1, 2, 4]) {
    t.same(decodeSyntheticIds(await speak(synthetic, ids, STYLE_A, speed), speed), ids, `speed ${speed}`);
  }
});

t.test('deterministic, audible and within [-1, 1]', async (t) => {
  const ids = framedIds(30, 3);
  const a = await speak(synthetic, ids);
  const b = await speak(synthetic, ids);
  t.ok(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), 'same input, same samples');
  let energy = 0;
  let outside = 0;
  for (const v of a) {
    if (!Number.isFinite(v) || Math.abs(v) > 1) outside++;
    energy += v * v;
  }
  t.equal(outside, 0, 'every sample finite and within [-1, 1]');
  t.ok(Math.sqrt(energy / a.length) > 0.1, 'not silent');
});

t.test('a changed id changes its own token and no other', async (t) => {
  const ids = framedIds(20, 5);
  const changed = ids.slice();
  changed[7] = ((changed[7] ?? 0) % 177) + 1;
  const a = syntheticSegments(await speak(synthetic, ids), 1);
  const b = syntheticSegments(await speak(synthetic, changed), 1);
  const differs = a.map((seg, i) => !Buffer.from(seg.slice().buffer).equals(Buffer.from(b[i]!.slice().buffer)));
  t.same(
    differs.map((d, i) => (d ? i : -1)).filter((i) => i >= 0),
    [7],
  );
  t.equal(fitTone(b[7]!).id, changed[7]);
});

t.test('the style sets the amplitude and shapes the samples', async (t) => {
  const ids = framedIds(12, 9);
  for (const style of [STYLE_A, STYLE_B]) {
    const amp = syntheticAmplitude(style);
    for (const seg of syntheticSegments(await speak(synthetic, ids, style), 1)) {
      const fit = fitTone(seg);
      t.ok(fit.amplitude <= amp + 1e-4 && fit.amplitude >= amp * (1 - AMPLITUDE_SPREAD) - 1e-4, `amplitude ${fit.amplitude} for A=${amp}`);
    }
  }
  t.ok(syntheticAmplitude(STYLE_B) - syntheticAmplitude(STYLE_A) > 0.1, 'the two styles are told apart by amplitude');
  // Same mean, different values: only the MatMul stack sees the difference.
  const shuffled = styleOf((k) => STYLE_A[(k * 5) % 256]!);
  const a = await speak(synthetic, ids, STYLE_A);
  const b = await speak(synthetic, ids, shuffled);
  t.equal(a.length, b.length);
  t.notOk(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), 'a different style vector gives different samples');
  t.same(decodeSyntheticIds(b, 1), ids, 'and the same tones');
});

t.test('the speed changes the length, not the tones', async (t) => {
  const ids = framedIds(15, 11);
  const slow = await speak(synthetic, ids, STYLE_A, 1);
  const fast = await speak(synthetic, ids, STYLE_A, 2);
  t.equal(fast.length, ids.length * syntheticHop(2));
  t.ok(fast.length < slow.length);
  t.same(decodeSyntheticIds(fast, 2), decodeSyntheticIds(slow, 1));
});

t.test('inputs Kokoro would refuse make the run fail', async (t) => {
  await t.rejects(speak(synthetic, [0, 999_999, 0]), 'an id outside the vocabulary');
  await t.rejects(speak(synthetic, [0, 5, 0], new Float32Array(128)), 'a style vector of the wrong size');
});

t.test('stall model: unmarked input behaves like the synthetic model', async (t) => {
  const ids = framedIds(25, 13);
  const expected = await speak(synthetic, ids, STYLE_B, 1.25);
  const got = await speak(stall, ids, STYLE_B, 1.25);
  t.equal(got.length, syntheticSamples(ids.length, 1.25));
  t.same(decodeSyntheticIds(got, 1.25), ids);
  t.ok(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer)), 'the same samples');
});

t.test('stall model: a marked input runs its Loop, then speaks the pad in place of K', async (t) => {
  const ids = [300, 50, 0];
  const done = speak(stall, ids, new Float32Array(256), 1);
  const bound = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error('stall of 300 units did not end within 60 s')), 60_000);
    t.teardown(() => clearTimeout(timer));
  });
  const pcm = await Promise.race([done, bound]);
  t.equal(pcm.length, syntheticSamples(3, 1));
  t.same(decodeSyntheticIds(pcm, 1), [0, 50, 0]);
});
