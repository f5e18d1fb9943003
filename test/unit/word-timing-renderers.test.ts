/**
 * The word-timing renderers of the voice-agent sockets, fed the turn's WordTiming as the
 * worker will give it: ElevenLabs character alignment (src/protocols/elevenlabs/alignment.ts)
 * and Cartesia word timestamps (src/protocols/cartesia/frames.ts).
 */
import t from 'tap';
import { timestampsFrame } from '../../src/protocols/cartesia/frames.ts';
import { charAlignment } from '../../src/protocols/elevenlabs/alignment.ts';
import type { WordTiming } from '../../src/shared/word-timing.ts';

const text = 'Hi, Bob. 42 ok';
const words: WordTiming[] = [
  { word: 'Hi', charStart: 0, charEnd: 2, startMs: 100, endMs: 300 },
  { word: 'Bob', charStart: 4, charEnd: 7, startMs: 400, endMs: 700 },
  // A number spoken as several words stays one word.
  { word: '42', charStart: 9, charEnd: 11, startMs: 800, endMs: 1400 },
  { word: 'ok', charStart: 12, charEnd: 14, startMs: 1400, endMs: 1600 },
];

t.test('every character is listed, in order, with contiguous non-negative times', async (t) => {
  const a = charAlignment(text, words)!;
  t.same(a.chars.join(''), text);
  t.equal(a.charStartTimesMs.length, text.length);
  t.equal(a.charDurationsMs.length, text.length);
  for (let i = 0; i < text.length; i++) {
    t.ok(a.charDurationsMs[i]! >= 0, `duration of ${i} is not negative`);
    if (i > 0) t.equal(a.charStartTimesMs[i], a.charStartTimesMs[i - 1]! + a.charDurationsMs[i - 1]!, `char ${i} starts where ${i - 1} ends`);
  }
});

t.test("a word's span is shared by its characters; the gap before it by the characters between words", async (t) => {
  const a = charAlignment(text, words)!;
  t.same(a.charStartTimesMs.slice(0, 2), [100, 200], 'H, i share 100..300');
  t.same(a.charDurationsMs.slice(0, 2), [100, 100]);
  t.same([a.charStartTimesMs[2], a.charStartTimesMs[3]], [300, 350], '", " shares the pause 300..400');
  t.equal(a.charStartTimesMs[4], 400, 'Bob starts at its word time');
  t.equal(a.charStartTimesMs[9], 800, '42 starts at its word time');
  t.equal(a.charStartTimesMs[9]! + a.charDurationsMs[9]! + a.charDurationsMs[10]!, 1400, '42 ends at its word end');
  t.equal(a.charDurationsMs[11], 0, 'the space between touching words has no length');
  t.equal(a.charStartTimesMs[13]! + a.charDurationsMs[13]!, 1600, 'the last character ends with the last word');
});

t.test('leading text before the first word shares 0..its start; trailing punctuation has no length', async (t) => {
  const a = charAlignment('"Go!"', [{ word: 'Go', charStart: 1, charEnd: 3, startMs: 50, endMs: 250 }])!;
  t.same(a.charStartTimesMs, [0, 50, 150, 250, 250]);
  t.same(a.charDurationsMs, [50, 100, 100, 0, 0]);
});

t.test('no word times (the host cannot time words): no alignment', async (t) => {
  t.equal(charAlignment(text, undefined), null);
});

t.test('Cartesia timestamps: words in order, seconds on the context timeline', async (t) => {
  const frame = timestampsFrame('ctx', words, 2000) as { type: string; context_id: string; word_timestamps: { words: string[]; start: number[]; end: number[] } };
  t.equal(frame.type, 'timestamps');
  t.equal(frame.context_id, 'ctx');
  t.same(frame.word_timestamps.words, ['Hi', 'Bob', '42', 'ok']);
  t.same(frame.word_timestamps.start, [2.1, 2.4, 2.8, 3.4]);
  t.same(frame.word_timestamps.end, [2.3, 2.7, 3.4, 3.6]);
});
