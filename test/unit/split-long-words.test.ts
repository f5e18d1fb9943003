/**
 * A chunk the worker refused as too long is split and its halves joined (src/synth/split-long.ts):
 * the halves' word times move onto the joined audio and their character offsets onto the whole text.
 */
import t from 'tap';
import { TtsError } from '../../src/errors.ts';
import { synthesizeSplitting } from '../../src/synth/split-long.ts';
import type { SynthesizedAudio } from '../../src/synth/types.ts';
import { fakeWords } from '../helpers/fake-pool.ts';

const RATE = 24_000;
/** 10 ms of audio a character; refuses text over `max` characters, like the worker over 510 tokens. */
function once(max: number, timed = true) {
  return async (text: string): Promise<SynthesizedAudio> => {
    if (text.length > max) throw new TtsError('text_too_long', 'too long');
    const pcm = new Float32Array(text.length * 240);
    return { pcm, sampleRate: RATE, queueMs: 0, synthMs: 0, provider: 'local', ...(timed ? { words: fakeWords(text, 1) } : {}) };
  };
}

t.test('joined halves: every word once, times on the joined audio, offsets in the whole text', async (t) => {
  const text = 'The first half of it ends here. And the second half follows on.';
  const out = await synthesizeSplitting(text, once(40));
  const words = out.words!;
  t.same(words.map((w) => w.word), text.split(' '));
  for (const w of words) t.equal(text.slice(w.charStart, w.charEnd), w.word, `${w.word}: offsets in the whole text`);
  const second = words.findIndex((w) => w.word === 'And');
  const firstHalfMs = ('The first half of it ends here.'.length * 240 * 1000) / RATE;
  t.equal(words[second]!.startMs, firstHalfMs, 'the second half starts after the first half\'s audio');
  for (let i = 1; i < words.length; i++) t.ok(words[i]!.startMs >= words[i - 1]!.endMs, 'in order');
});

t.test('an untimed half leaves the whole untimed', async (t) => {
  const text = 'The first half of it ends here. And the second half follows on.';
  const out = await synthesizeSplitting(text, once(40, false));
  t.equal(out.words, undefined);
});
