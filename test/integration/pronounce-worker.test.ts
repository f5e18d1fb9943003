/**
 * Inline markup in the worker (workers/pronounce.ts) on the synthetic model, whose output
 * length is exact per token: a phoneme tag changes that word's phonemes only, a pause tag
 * inserts exactly that much silence (zeros) at its place, and a tag's odd content never
 * crashes a worker.
 */
import { Piscina } from 'piscina';
import t from 'tap';
import type { SynthResult, WorkerInit } from '../../src/shared/protocol.ts';
import { phonemize } from '../../workers/kokoro/phonemize.ts';
import { phonemesToIds } from '../../workers/kokoro/tokenizer.ts';
import { SYNTHETIC_MODEL } from '../helpers/pool.ts';
import { syntheticSamples } from '../helpers/synthetic-audio.ts';

const WORKER = new URL('../../workers/synth.worker.ts', import.meta.url).pathname;
const init: WorkerInit = { modelPath: SYNTHETIC_MODEL, intraOpThreads: 1, enableCpuMemArena: false, faultInjection: false };
const piscina = new Piscina({ filename: WORKER, minThreads: 1, maxThreads: 1, workerData: init });
t.teardown(() => piscina.destroy());

let taskId = 0;
async function run(text: string): Promise<Extract<SynthResult, { ok: true }>> {
  const r = (await piscina.run({ taskId: ++taskId, voice: 'af_heart', speed: 1, text })) as SynthResult;
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r;
}
const tokensOf = async (text: string) => phonemesToIds(await phonemize(text, 'af_heart')).length;

t.test('a phoneme tag changes that word only', async (t) => {
  const plain = (await run('I never said she stole my money.')).phonemes.split(' ');
  const tagged = (await run('I never said [she](/ʃˈiː/) stole my money.')).phonemes.split(' ');
  t.equal(tagged.length, plain.length, 'the same words');
  const changed = tagged.flatMap((w, i) => (w === plain[i] ? [] : [i]));
  t.same(changed, [3], 'only the tagged word differs');
  t.equal(tagged[3], 'ʃˈiː', 'said as given');
});

t.test('punctuation after a tag stays with the word, as in plain text', async (t) => {
  const plain = await run('Read it aloud: tomato.');
  const tagged = await run('Read it aloud: [tomato](/təmˈɑːtoʊ/).');
  t.match(tagged.phonemes, /təmˈɑːtoʊ\.$/);
  t.equal(tagged.phonemes.split(' ').length, plain.phonemes.split(' ').length, 'no word added');
});

t.test('a tag whose word holds spaces is one word, its phonemes as given', async (t) => {
  const r = await run('We flew to [New York](/nˈuː jˈɔːɹk/) today.');
  t.match(r.phonemes, /nˈuː jˈɔːɹk/);
  t.notMatch(r.phonemes, /\[|\]|\//, 'no markup left in the phonemes');
});

t.test('a pause tag inserts exactly that much silence at its place', async (t) => {
  const a = await tokensOf('Hello there.');
  const b = await tokensOf('General Kenobi.');
  const r = await run('Hello there. [pause:0.5s] General Kenobi.');
  const first = syntheticSamples(a + 2, 1);
  const pause = 0.5 * 24000;
  t.equal(r.samples, first + pause + syntheticSamples(b + 2, 1), 'both sides synthesized on their own, the pause between');
  const gap = r.pcm.subarray(first, first + pause);
  t.ok(gap.every((s) => s === 0), 'the pause is silence');
  t.not(r.pcm[first - 1], 0, 'speech up to the pause');
  t.equal(r.silence.lead < r.samples, true);
});

t.test('a chunk that is only a pause is silence of that length, kept whole by the joins', async (t) => {
  const r = await run('[PAUSE:0.25s]');
  t.equal(r.samples, 6000);
  t.equal(r.silence.lead, 6000, 'all silence: the joins pass it as it is');
  t.equal(r.tokens, 0);
});

t.test('a pause at the edge of a chunk is not trimmable silence', async (t) => {
  const r = await run('[pause:1s] Hello.');
  t.equal(r.silence.lead, 0, 'the meant pause is kept by the joins');
  const s = await run('Hello. [pause:1s]');
  t.equal(s.silence.trail, 0);
});

t.test('symbols the model does not know inside a streamed tag are dropped, never a crash', async (t) => {
  const r = await run('Say [this](/ðɪs§¶/) now.');
  t.match(r.phonemes, /ðɪs/);
  t.ok(r.samples > 0);
});
