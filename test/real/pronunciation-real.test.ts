/**
 * Pronunciation control on the genuine Kokoro-82M (../shared/models/kokoro-82m-v1.0-int8.onnx):
 * an inline phoneme tag changes the audio around that word only (the energy envelope of
 * the rest of the sentence stays close), and a pause tag puts exactly that much silence at
 * its place. Without the genuine model this file says so and counts as skipped.
 */
import { existsSync } from 'node:fs';
import { Piscina } from 'piscina';
import t from 'tap';
import type { SynthResult, WorkerInit } from '../../src/shared/protocol.ts';
import { GENUINE_MODEL } from '../helpers/pool.ts';

const WORKER = new URL('../../workers/synth.worker.ts', import.meta.url).pathname;
/** One Kokoro frame: 600 samples (25 ms at 24 kHz). */
const FRAME = 600;

if (!existsSync(GENUINE_MODEL)) {
  t.test('pronunciation on the genuine model', { skip: `no genuine model at ${GENUINE_MODEL}: inline phonemes and pauses NOT checked on real audio` }, async () => {});
} else {
  const init: WorkerInit = { modelPath: GENUINE_MODEL, intraOpThreads: 1, enableCpuMemArena: false, faultInjection: false };
  const piscina = new Piscina({ filename: WORKER, minThreads: 1, maxThreads: 1, workerData: init });
  t.teardown(() => piscina.destroy());
  let taskId = 0;
  const run = async (text: string) => {
    const r = (await piscina.run({ taskId: ++taskId, voice: 'af_heart', speed: 1, text })) as SynthResult;
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    return r;
  };
  /** RMS per frame. */
  const envelope = (pcm: Float32Array) => {
    const out: number[] = [];
    for (let i = 0; i + FRAME <= pcm.length; i += FRAME) {
      let s = 0;
      for (let j = i; j < i + FRAME; j++) s += pcm[j]! * pcm[j]!;
      out.push(Math.sqrt(s / FRAME));
    }
    return out;
  };
  /**
   * How far two envelopes differ over frames [from, to), relative to the first one's energy
   * there, at the best lag within ±MAX_LAG frames: a changed word may shift the durations
   * around it a little, which is no change in what is said.
   */
  const MAX_LAG = 6;
  const distance = (a: number[], b: number[], from: number, to: number) => {
    let best = Infinity;
    for (let lag = -MAX_LAG; lag <= MAX_LAG; lag++) {
      let d = 0;
      let e = 0;
      for (let i = from; i < to; i++) {
        d += Math.abs(a[i]! - (b[i + lag] ?? 0));
        e += a[i]!;
      }
      best = Math.min(best, d / e);
    }
    return best;
  };

  t.test('an inline phoneme tag changes the audio around that word only', async (t) => {
    const plain = await run('Please read the next word aloud: tomato.');
    const tagged = await run('Please read the next word aloud: [tomato](/təmˈɑːtoʊ/).');
    t.not(tagged.phonemes, plain.phonemes);
    const [pw, tw] = [plain.phonemes.split(' '), tagged.phonemes.split(' ')];
    t.same(tw.slice(0, -1), pw.slice(0, -1), 'the words before it are read the same');
    t.match(tw.at(-1), /^təmˈɑːtoʊ/, 'the tagged word as given');
    const a = envelope(plain.pcm);
    const b = envelope(tagged.pcm);
    const n = Math.min(a.length, b.length);
    const head = distance(a, b, 0, Math.floor(n * 0.6));
    const tail = distance(a, b, Math.floor(n * 0.75), n);
    t.comment(`envelope distance: first 60% ${head.toFixed(3)}, last 25% ${tail.toFixed(3)}`);
    const deciles = Array.from({ length: 10 }, (_, i) => distance(a, b, Math.floor((n * i) / 10), Math.floor((n * (i + 1)) / 10)).toFixed(2));
    t.comment(`by tenths: ${deciles.join(' ')}`);
    const other = envelope((await run('Kindly speak the final term out loud: potato.')).pcm);
    const m = Math.min(a.length, other.length);
    const unrelated = distance(a, other, 0, Math.floor(m * 0.6));
    t.comment(`an unrelated sentence, first 60%: ${unrelated.toFixed(3)}`);
    t.ok(head < unrelated / 3, 'the rest is far closer than another sentence would be');
    t.ok(head < 0.25, `the words before the tag sound the same (${head.toFixed(3)})`);
    t.ok(tail > head * 2, `the tagged word differs more than the rest (${tail.toFixed(3)} vs ${head.toFixed(3)})`);
  });

  t.test('a pause tag inserts that much silence at its place', async (t) => {
    const first = await run('Hello there.');
    const second = await run('General Kenobi.');
    const r = await run('Hello there. [pause:0.5s] General Kenobi.');
    t.equal(r.samples, first.samples + 12_000 + second.samples, 'each side as alone, and exactly 0.5 s between');
    t.ok(r.pcm.subarray(first.samples, first.samples + 12_000).every((s) => s === 0), 'the pause is silence');
    t.ok(Math.abs(r.samples - first.samples - second.samples - 12_000) <= FRAME, 'within a frame');
  });
}
