/**
 * Inline tags through the phrase chunker: never split, whatever spaces they hold, however
 * the text arrives, and priced by their phonemes (IPA priced as text would cut them apart).
 */
import t from 'tap';
import { PhraseChunker } from '../../src/pipeline/phrase-chunker.ts';
import { tagAt } from '../../src/shared/markup.ts';

const TAG = /\[[^[\]]*\]\(\/[^/()]*\/\)|\[pause:\d+(?:\.\d+)?s\]/gi;

function chunks(text: string, step: number): string[] {
  const c = new PhraseChunker({ maxTokens: 60, firstChunkMaxWords: 3 });
  const out: string[] = [];
  for (let i = 0; i < text.length; i += step) out.push(...c.push(text.slice(i, i + step)).map((x) => x.text));
  out.push(...c.flush().map((x) => x.text));
  return out;
}

const TEXT =
  'Well, we flew to [New York City](/nˈuː jˈɔːɹk sˈɪɾi/) and then [pause:0.5s] on to ' +
  '[Los Angeles](/lɔs ˈænʤələs/), a long way, [pause:1.25s] and back again to [Kokoro](/kˈOkəɹO/) land.';

t.test('no chunk ends inside a tag, for any push size', async (t) => {
  const tags = TEXT.match(TAG)!;
  for (const step of [1, 2, 3, 7, 13, TEXT.length]) {
    const got = chunks(TEXT, step);
    t.equal(got.join(' ').replace(/\s+/g, ' '), TEXT, `step ${step}: every character, in order`);
    const whole = got.flatMap((c) => c.match(TAG) ?? []);
    t.same(whole, tags, `step ${step}: every tag whole in one chunk`);
    t.ok(got.length > 1, 'still split into phrases');
  }
});

t.test('a long phoneme tag is priced by its phonemes, not cut by characters', async (t) => {
  const tag = `[supercalifragilistic](/${'sˌuːpɚkˌælɪfɹˌæʤəlˌɪstɪk'}/)`;
  const got = chunks(`Say ${tag} now.`, 4);
  t.ok(got.some((c) => c.includes(tag)));
});

t.test('tagAt: complete, still arriving, or not a tag', async (t) => {
  t.equal(tagAt('[a b](/x y/) z', 0), 12);
  t.equal(tagAt('[pause:2s]', 0), 10);
  t.equal(tagAt('[a b](/x', 0), 'partial');
  t.equal(tagAt('[pau', 0), 'partial');
  t.equal(tagAt('[1] and', 0), null, 'a footnote mark is text');
  t.equal(tagAt(`[${'x'.repeat(400)}`, 0), null, 'an unclosed bracket holds back only so far');
});
