/**
 * espeak-ng's IPA -> Kokoro's symbols, for the languages Kokoro reads through espeak-ng
 * (es, fr, hi, it, pt-br). Kokoro-82M was trained on upstream's mapping (misaki's EspeakG2P,
 * v1.0 rules), so we apply the same rules: a phoneme espeak spells with several letters
 * joined by its tie becomes Kokoro's one symbol; any other tie and espeak's hyphens (its
 * liaison marks) go; stress marks and length stay. Pure: the tests apply it to the output
 * of Debian's espeak-ng command line too.
 */

/** The tie espeak-ng is asked to join a phoneme's letters with (`--tie=^`). */
export const TIE = '^';

/** Multi-letter phonemes with a single Kokoro symbol (diphthongs and affricates). */
const TIED: ReadonlyArray<readonly [string, string]> = [
  ['a^ɪ', 'I'],
  ['a^ʊ', 'W'],
  ['d^z', 'ʣ'],
  ['d^ʒ', 'ʤ'],
  ['e^ɪ', 'A'],
  ['o^ʊ', 'O'],
  ['ə^ʊ', 'Q'],
  ['s^s', 'S'],
  ['t^s', 'ʦ'],
  ['t^ʃ', 'ʧ'],
  ['ɔ^ɪ', 'Y'],
];

/** espeak marks a switch to another language's rules as "(en)" … "(hi)": flags, not sounds. */
const LANGUAGE_SWITCH = /\([a-z^-]+\)/g;

/** One line (or word) of espeak-ng IPA in Kokoro's symbols. */
export function espeakToKokoro(ipa: string): string {
  let ps = ipa.replace(LANGUAGE_SWITCH, '');
  for (const [from, to] of TIED) ps = ps.replaceAll(from, to);
  return ps.replaceAll(TIE, '').replaceAll('-', '');
}

/** Kokoro's language -> the espeak-ng voice upstream phonemizes it with. */
export const ESPEAK_VOICES = Object.freeze({ es: 'es', fr: 'fr-fr', hi: 'hi', it: 'it', 'pt-br': 'pt-br' });
export type EspeakLanguage = keyof typeof ESPEAK_VOICES;

export function isEspeakLanguage(lang: string): lang is EspeakLanguage {
  return Object.hasOwn(ESPEAK_VOICES, lang);
}
