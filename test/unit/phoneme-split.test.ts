/** The worker's hard split of over-long phonemes: pieces fit the limit, cut at pauses, nothing lost. */
import t from 'tap';
import { splitPhonemes } from '../../workers/kokoro/phoneme-split.ts';
import { MAX_PHONEME_TOKENS, phonemesToIds } from '../../workers/kokoro/tokenizer.ts';

const tokens = (s: string) => phonemesToIds(s).length;
const squeeze = (s: string) => s.replace(/ /g, '');

t.test('phonemes within the limit stay one piece', (t) => {
  t.same(splitPhonemes('həlˈoʊ wˈɜɹld.', MAX_PHONEME_TOKENS), ['həlˈoʊ wˈɜɹld.']);
  t.end();
});

t.test('over the limit: pieces at most the limit, cut after a pause mark, every symbol kept in order', (t) => {
  const clause = 'ʧˈao kˌome stˈaj, ';
  const long = clause.repeat(60).trim();
  t.ok(tokens(long) > MAX_PHONEME_TOKENS, `${tokens(long)} tokens`);
  const pieces = splitPhonemes(long, MAX_PHONEME_TOKENS);
  t.ok(pieces.length >= 3, `${pieces.length} pieces`);
  for (const p of pieces) t.ok(tokens(p) <= MAX_PHONEME_TOKENS, `${tokens(p)} tokens`);
  for (const p of pieces.slice(0, -1)) t.ok(p.endsWith(','), 'cut after a comma');
  t.equal(squeeze(pieces.join(' ')), squeeze(long), 'nothing lost, nothing reordered');
  t.end();
});

t.test('no pause: cut at a space; no space either: cut at the limit', (t) => {
  const words = 'abc '.repeat(40).trim();
  const byWords = splitPhonemes(words, 50);
  for (const p of byWords) t.ok(tokens(p) <= 50 && !p.startsWith(' ') && /^(abc ?)+$/.test(p), `whole words: ${p.length}`);
  t.equal(squeeze(byWords.join('')), squeeze(words));
  const run = 'ə'.repeat(120);
  t.same(splitPhonemes(run, 50).map(tokens), [50, 50, 20]);
  t.end();
});

t.test('symbols outside the vocab do not count toward the limit and are kept for the tokenizer to drop', (t) => {
  const pieces = splitPhonemes('a#b#c#d', 2);
  t.same(pieces, ['a#b#', 'c#d']);
  t.end();
});
