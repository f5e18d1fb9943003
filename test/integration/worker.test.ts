/**
 * The worker module inside a real worker thread (driven by Piscina directly, so the
 * raw tagged results are visible): output, determinism, and every refusal code.
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
const run = (req: { text?: string; phonemes?: string; voice?: string; speed?: number; lang?: string }) =>
  piscina.run({ taskId: ++taskId, voice: 'af_heart', speed: 1, ...req }) as Promise<SynthResult>;

t.test('text -> PCM with the synthetic model', async (t) => {
  const text = 'Hello from a worker thread.';
  const tokens = phonemesToIds(await phonemize(text, 'af_heart')).length;
  const a = await run({ text });
  if (!a.ok) throw new Error(a.message);
  t.equal(a.sampleRate, 24000);
  t.equal(a.tokens, tokens, 'the tokens of kokoro-js phonemes');
  t.equal(a.samples, syntheticSamples(tokens + 2, 1), 'length from the token count, pads included');
  t.equal(a.pcm.length, a.samples);
  t.ok(a.timings.phonemizeMs >= 0 && a.timings.inferenceMs > 0);
  const b = await run({ text });
  t.same(b.ok && Array.from(b.pcm), Array.from(a.pcm), 'deterministic');
  const slow = await run({ text, speed: 0.5 });
  t.equal(slow.ok && slow.samples, syntheticSamples(tokens + 2, 0.5));
  const british = await run({ text, voice: 'bf_emma' });
  t.ok(british.ok, 'a British voice');
});

t.test('phonemes in, and the same audio as from text', async (t) => {
  const text = 'Same audio either way.';
  const fromText = await run({ text });
  const fromPhonemes = await run({ phonemes: await phonemize(text, 'af_heart') });
  t.ok(fromText.ok && fromPhonemes.ok);
  t.same(fromPhonemes.ok && Array.from(fromPhonemes.pcm), fromText.ok && Array.from(fromText.pcm));
});

t.test('refusals come back as coded data', async (t) => {
  const codes = async (req: Parameters<typeof run>[0]) => {
    const r = await run(req);
    return r.ok ? 'ok' : r.code;
  };
  t.equal(await codes({ text: 'Hi.', voice: 'zz_nobody' }), 'invalid_voice');
  t.equal(await codes({ text: 'Hi.', voice: 'af_bella+' }), 'invalid_voice', 'malformed mix');
  t.equal(await codes({ text: 'Hi.', voice: 'af_bella(-1)+af_sky' }), 'invalid_voice', 'negative weight');
  t.equal(await codes({ text: 'Hi.', voice: 'af_bella+nope_x' }), 'invalid_voice', 'unknown voice in a mix');
  t.equal(await codes({ text: 'Hi.', speed: 0 }), 'invalid_speed');
  t.equal(await codes({ text: '' }), 'empty_text');
  t.equal(await codes({ text: '   \n ' }), 'empty_text');
  t.equal(await codes({ phonemes: '' }), 'empty_text');
  t.equal(await codes({ text: 'Hi.', voice: 'af_bella(2)+af_sky(1)' }), 'ok', 'a valid weighted mix');
});

t.test("the text is read in the request's lang, else in the first voice's language", async (t) => {
  const es = await run({ text: 'Hola.', voice: 'ef_dora' });
  t.same(es.ok ? es.phonemes : es.code, 'ˈola.', 'a Spanish voice reads Spanish');
  const mix = await run({ text: 'Hola.', voice: 'af_heart+ef_dora', lang: 'es' });
  t.same(mix.ok ? mix.phonemes : mix.code, 'ˈola.', 'lang wins over the first voice of a mix');
  const zh = await run({ text: '你好。', voice: 'zf_xiaobei' });
  t.same(zh.ok ? zh.phonemes : zh.code, 'ni↓ xau↓.');
  const bad = await run({ text: 'Hi.', lang: 'xx' });
  t.same(bad.ok ? 'ok' : bad.code, 'invalid_lang', 'an unknown lang is refused in the worker too');
});

t.test('over-long text is split in the worker and spoken whole; over-long phonemes are refused with their count', async (t) => {
  const long = Array.from({ length: 150 }, (_, i) => `number ${i}`).join(', ');
  const r = await run({ text: long });
  t.equal(r.ok, true, 'text over the limit is synthesized, not refused');
  if (!r.ok) return;
  t.ok(r.tokens > 510, `all ${r.tokens} tokens spoken (none truncated)`);
  const short = await run({ text: 'number 0, number 1' });
  t.ok(short.ok && r.samples > short.samples * 20, 'the audio covers the whole text');
  const phonemes = 'ə'.repeat(511);
  const p = await run({ phonemes });
  t.same(p.ok ? null : [p.code, p.tokens], ['text_too_long', 511]);
  const edge = await run({ phonemes: 'ə'.repeat(510) });
  t.equal(edge.ok, true, 'exactly 510 tokens is accepted');
});
