/**
 * With genuine Kokoro weights in ../shared/models/, the worker must produce the samples
 * kokoro-js's own KokoroTTS.generate() produces on the same ONNX file for the same text,
 * voice and speed. When no weights are there, this file says so and counts as skipped,
 * never as passed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { KokoroTTS } from 'kokoro-js';
import ort from 'onnxruntime-node';
import { Piscina } from 'piscina';
import t from 'tap';
import type { SynthResult, WorkerInit } from '../../src/shared/protocol.ts';
import { frameIds, phonemesToIds } from '../../workers/kokoro/tokenizer.ts';

const SHARED = new URL('../../../shared/models/', import.meta.url).pathname;
const models = existsSync(SHARED) ? readdirSync(SHARED).filter((f) => f.endsWith('.onnx')).map((f) => `${SHARED}${f}`) : [];
const WORKER = new URL('../../workers/synth.worker.ts', import.meta.url).pathname;

if (models.length === 0) {
  t.test("worker equals kokoro-js on a genuine model", { skip: `no genuine Kokoro model in ${SHARED}: equivalence with kokoro-js NOT checked` }, async () => {});
}

/** kokoro-js's generate() with a plain session on the same file and a Kokoro-vocab tokenizer. */
async function kokoroJs(path: string): Promise<KokoroTTS> {
  const session = await ort.InferenceSession.create(path);
  const idsName = session.inputNames.includes('input_ids') ? 'input_ids' : 'tokens';
  const outName = session.outputNames.includes('waveform') ? 'waveform' : 'audio';
  const model = async (inputs: { input_ids: { data: BigInt64Array }; style: { data: Float32Array }; speed: { data: Float32Array } }) => {
    const ids = inputs.input_ids.data;
    const out = await session.run({
      [idsName]: new ort.Tensor('int64', ids, [1, ids.length]),
      style: new ort.Tensor('float32', inputs.style.data, [1, 256]),
      speed: new ort.Tensor('float32', inputs.speed.data, [1]),
    });
    return { waveform: { data: out[outName]!.data } };
  };
  const tokenizer = (phonemes: string) => {
    const framed = frameIds(phonemesToIds(phonemes));
    return { input_ids: { dims: [1, framed.length], data: framed } };
  };
  return new KokoroTTS(model as never, tokenizer as never);
}

for (const path of models) {
  t.test(`worker equals kokoro-js on ${path.split('/').pop()}`, async (t) => {
    const init: WorkerInit = { modelPath: path, intraOpThreads: 1, enableCpuMemArena: false, faultInjection: false };
    const piscina = new Piscina({ filename: WORKER, minThreads: 1, maxThreads: 1, workerData: init });
    t.teardown(() => piscina.destroy());
    const reference = await kokoroJs(path);
    let taskId = 0;
    for (const [text, voice, speed] of [
      ['Hello, this is a test of the Kokoro host.', 'af_heart', 1],
      ['The weather today is sunny, with a light breeze.', 'bm_george', 1.3],
    ] as const) {
      const ours = (await piscina.run({ taskId: ++taskId, text, voice, speed })) as SynthResult;
      if (!ours.ok) throw new Error(ours.message);
      const theirs = (await reference.generate(text, { voice, speed })).audio as Float32Array;
      t.equal(ours.samples, theirs.length, `${voice}: same length`);
      let maxDiff = 0;
      let energy = 0;
      for (let i = 0; i < theirs.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(ours.pcm[i]! - theirs[i]!));
        energy += theirs[i]! * theirs[i]!;
      }
      t.ok(maxDiff < 1e-3, `${voice}: max sample difference ${maxDiff}`);
      t.ok(Math.sqrt(energy / theirs.length) > 0.005, `${voice}: not silence`);
    }
  });
}
