/**
 * Text hygiene (src/pronunciation/hygiene.ts): controls and lone surrogates separate words,
 * format marks vanish, nothing else changes, and a pair split across pushes survives.
 */
import t from 'tap';
import { cleanText, TextIntake } from '../../src/pronunciation/hygiene.ts';

t.test('the rule, case by case', async (t) => {
  t.equal(cleanText('\u0000 hi'), '  hi', 'NUL before a word');
  t.equal(cleanText('a\u0000b c'), 'a b c', 'a control between letters separates them');
  t.equal(cleanText('x\u007Fy\u0085z'), 'x y z', 'DEL and C1 controls');
  t.equal(cleanText('x\uD800y'), 'x y', 'a lone high surrogate');
  t.equal(cleanText('\uDC00z'), ' z', 'a lone low surrogate');
  t.equal(cleanText('co\u00ADoperate'), 'cooperate', 'soft hyphen: the word as it renders');
  t.equal(cleanText('zero\u200Bwidth \u200C\u200D\u2060'), 'zerowidth ', 'zero-width marks');
  t.equal(cleanText('\u202Eabc\u202C \u2067def\u2069 \u200Eghi'), 'abc def ghi', 'bidi embeddings, isolates and marks');
  t.equal(cleanText('\uFEFFhello'), 'hello', 'BOM');
});

t.test('what is kept', async (t) => {
  const kept = 'Tabs\tnew\nlines\r\n, émoji 😀👍🏽, CJK 你好。 Ünïcödé «quotes» [pause:1s] [w](/ʃ/)';
  t.equal(cleanText(kept), kept);
});

t.test('a surrogate pair split across pushes survives', async (t) => {
  const intake = new TextIntake();
  const emoji = '😀';
  t.equal(intake.push(`hi ${emoji[0]}`), 'hi ');
  t.equal(intake.push(`${emoji[1]} there`), `${emoji} there`);
  t.equal(intake.push(`end\uD83D`), 'end');
  t.equal(intake.flush(), ' ', 'a high surrogate left at the end is lone');
  t.equal(intake.flush(), '', 'nothing held twice');
});
