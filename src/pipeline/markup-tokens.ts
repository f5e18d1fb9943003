/**
 * Token estimates that know inline markup (src/shared/markup.ts): a phoneme tag costs its
 * phonemes (one token each, exactly what the model gets), a pause costs nothing, and the
 * text around tags is priced by the plain estimator. Priced as text, a tag's IPA letters
 * would run ~20 tokens each and the chunker would cut the tag apart.
 */
import { hasMarkup, parseMarkup, tagAt } from '../shared/markup.ts';

/**
 * A tag still arriving is priced at one token a character: its real price (its phonemes)
 * is known once it is complete, and pricing its IPA as text would make the chunker cut it.
 */
function unfinishedTag(word: string): number {
  for (let i = word.indexOf('['); i >= 0; i = word.indexOf('[', i + 1)) if (tagAt(word, i) === 'partial') return i;
  return -1;
}

export function withMarkup(estimate: (word: string) => number): (word: string) => number {
  const priced = (word: string): number => {
    if (!word.includes('[')) return estimate(word);
    const open = unfinishedTag(word);
    if (open >= 0) return (open > 0 ? priced(word.slice(0, open)) : 0) + [...word.slice(open)].length;
    if (!hasMarkup(word)) return estimate(word);
    let tokens = 0;
    for (const seg of parseMarkup(word)) {
      if (seg.kind === 'phonemes') tokens += [...seg.phonemes].length;
      else if (seg.kind === 'text' && seg.text.trim() !== '') tokens += estimate(seg.text.trim());
    }
    return tokens;
  };
  return priced;
}
