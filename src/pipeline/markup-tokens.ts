/**
 * Token estimates that know inline markup (src/shared/markup.ts): a phoneme tag costs its
 * phonemes (one token each, exactly what the model gets), a pause costs nothing, and the
 * text around tags is priced by the plain estimator. Priced as text, a tag's IPA letters
 * would run ~20 tokens each and the chunker would cut the tag apart.
 */
import { hasMarkup, parseMarkup } from '../shared/markup.ts';

export function withMarkup(estimate: (word: string) => number): (word: string) => number {
  return (word) => {
    if (!word.includes('[') || !hasMarkup(word)) return estimate(word);
    let tokens = 0;
    for (const seg of parseMarkup(word)) {
      if (seg.kind === 'phonemes') tokens += [...seg.phonemes].length;
      else if (seg.kind === 'text' && seg.text.trim() !== '') tokens += estimate(seg.text.trim());
    }
    return tokens;
  };
}
