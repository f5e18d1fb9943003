/**
 * The worker's word timing, without a model: words located in the sentence's phonemes
 * (workers/kokoro/word-align.ts, and g2p() over the real espeak-ng phonemizer), phoneme code points
 * mapped to tokens and timed from durations (workers/kokoro/word-times.ts).
 */
import t from 'tap';
import { g2p, phonemize } from '../../workers/kokoro/phonemize.ts';
import { phonemesToIds } from '../../workers/kokoro/tokenizer.ts';
import { alignWords, textWords } from '../../workers/kokoro/word-align.ts';
import { endAtLastSound, tokenIndexOfCodePoints, wordTimes } from '../../workers/kokoro/word-times.ts';

const spans = (text: string, phonemes: string, words: { charStart: number; charEnd: number; phStart: number; phEnd: number }[]) =>
  words.map((w) => [text.slice(w.charStart, w.charEnd), [...phonemes].slice(w.phStart, w.phEnd).join('')]);

t.test('textWords: whitespace runs without edge punctuation; punctuation alone is no word', async (t) => {
  const text = '"Well," she said — $5.50, (really)... 10:30!';
  t.same(
    textWords(text).map((w) => [w.text, text.slice(w.charStart, w.charEnd)]),
    [['Well', 'Well'], ['she', 'she'], ['said', 'said'], ['$5.50', '$5.50'], ['really', 'really'], ['10:30', '10:30']],
  );
});

t.test('alignWords: run-together and reduced words are found by their own phonemes', async (t) => {
  // espeak-ng's sentence phonemes against each word alone: "was a" runs together, "a" is reduced.
  const text = 'It was a bright day.';
  const sentence = 'ɪt wʌzɐ bɹˈaɪt dˈeɪ.';
  const own = ['ˈɪt', 'wˈʌz', 'ˈeɪ', 'bɹˈaɪt', 'dˈeɪ'];
  t.same(spans(text, sentence, alignWords(sentence, textWords(text), own)), [
    ['It', 'ɪt'],
    ['was', 'wʌz'],
    ['a', 'ɐ'],
    ['bright', 'bɹˈaɪt'],
    ['day', 'dˈeɪ'],
  ]);
});

t.test('alignWords: spans are in order and never overlap; a word nothing matched is an empty span in place', async (t) => {
  const text = 'one two three';
  const words = alignWords('wˈʌn θɹˈiː', textWords(text), ['wˈʌn', 'tˈuː', 'θɹˈiː']);
  t.same(spans(text, 'wˈʌn θɹˈiː', words), [['one', 'wˈʌn'], ['two', ''], ['three', 'θɹˈiː']]);
  for (let i = 1; i < words.length; i++) t.ok(words[i]!.phStart >= words[i - 1]!.phEnd, 'no overlap');
});

t.test('g2p keeps the sentence phonemes; numbers, symbols and abbreviations stay one word; punctuation has none', async (t) => {
  const text = 'Dr. Smith paid $5.50 for 3 apples in 1999, at 10:30.';
  const result = await g2p(text, 'af_heart');
  t.equal(result.phonemes, await phonemize(text, 'af_heart'), 'the phonemes kokoro-js makes, unchanged');
  const got = spans(text, result.phonemes, result.words);
  t.same(got.map(([w]) => w), ['Dr', 'Smith', 'paid', '$5.50', 'for', '3', 'apples', 'in', '1999', 'at', '10:30']);
  const of = Object.fromEntries(got);
  for (const [w, spoken] of [['$5.50', 'five dollars and fifty cents'], ['1999', 'nineteen ninety nine'], ['10:30', 'ten thirty'], ['Dr', 'doctor']]) {
    // The expansion is several spoken words; its phonemes all belong to the one written word.
    t.equal(of[w!], (await phonemize(spoken!, 'af_heart')).replace(/[.,]$/, '').trim(), `${w} carries "${spoken}"`);
  }
  for (const [, ph] of got) t.notMatch(ph, /[,.]/, 'no punctuation inside a word');
});

t.test('tokenIndexOfCodePoints follows phonemesToIds: symbols outside the vocab have no token', async (t) => {
  const phonemes = 'a☃b c';
  const map = tokenIndexOfCodePoints(phonemes);
  t.same([...map], [0, -1, 1, 2, 3]);
  t.equal(phonemesToIds(phonemes).length, 4);
});

t.test('wordTimes: frames from durations, samples per frame from the sum rule', async (t) => {
  const text = 'ab, c';
  const phonemes = 'ab, c'; // tokens a b , ␠ c
  const words = [
    { charStart: 0, charEnd: 2, phStart: 0, phEnd: 2 },
    { charStart: 4, charEnd: 5, phStart: 4, phEnd: 5 },
  ];
  // pad, a, b, ",", " ", c, pad: 20 frames; 300 samples a frame at 24 kHz is 12.5 ms.
  const durations = [4, 2, 3, 5, 1, 3, 2];
  const got = wordTimes({ text, phonemes, words, durations, samples: 20 * 300, sampleRate: 24_000 });
  t.same(got, [
    { word: 'ab', charStart: 0, charEnd: 2, startMs: 4 * 12.5, endMs: 9 * 12.5 },
    { word: 'c', charStart: 4, charEnd: 5, startMs: 15 * 12.5, endMs: 18 * 12.5 },
  ]);
  t.equal(wordTimes({ text, phonemes, words, durations: durations.slice(1), samples: 6000, sampleRate: 24_000 }), undefined, 'durations that do not fit the tokens: untimed');
  t.equal(wordTimes({ text, phonemes, words, durations: durations.map(() => 0), samples: 6000, sampleRate: 24_000 }), undefined, 'no frames: untimed');
});

t.test('endAtLastSound: a word ends at its last audible sample; starts and loud ends are kept', async (t) => {
  const pcm = new Float32Array(2400); // 100 ms
  pcm.fill(0.5, 0, 480); // sound to 20 ms
  pcm.fill(0.001, 480, 1200); // -60 dBFS: inaudible
  pcm.fill(0.5, 1200, 2400);
  const out = endAtLastSound(
    [
      { word: 'a', charStart: 0, charEnd: 1, startMs: 0, endMs: 50 },
      { word: 'b', charStart: 2, charEnd: 3, startMs: 50, endMs: 100 },
      { word: 'quiet', charStart: 4, charEnd: 9, startMs: 25, endMs: 45 },
    ],
    pcm,
    24_000,
  );
  t.same(out.map((w) => [w.startMs, w.endMs]), [[0, 20], [50, 100], [25, 45]]);
});
