/**
 * Text -> phonemes with kokoro-js's own normalisation and espeak-ng phonemizer.
 *
 * kokoro-js exports no phonemize function, but its KokoroTTS accepts any tokenizer:
 * `generate()` normalises and phonemizes the text, then hands the phonemes to the
 * tokenizer. We give it a tokenizer that records the phonemes and stops there, so the
 * phonemes are exactly those kokoro-js would synthesize, and no model is involved.
 */
import { KokoroTTS } from 'kokoro-js';
import type { Language } from '../../src/shared/languages.ts';
import { g2p } from '../g2p/index.ts';

class PhonemesCaptured extends Error {
  constructor(readonly phonemes: string) {
    super('phonemes captured');
  }
}

const capture = new KokoroTTS(
  null as never,
  ((phonemes: string) => {
    throw new PhonemesCaptured(phonemes);
  }) as never,
);

/** Voices kokoro-js knows (id -> name, language, gender, grades). */
export const KOKORO_VOICES = capture.voices as Readonly<Record<string, { name: string; language: string; gender: string; overallGrade?: string }>>;

/** Phonemes for `text` as spoken by `voice` (the voice picks American or British English). */
export async function phonemize(text: string, voice: string): Promise<string> {
  try {
    await capture.generate(text, { voice: voice as never });
  } catch (err) {
    if (err instanceof PhonemesCaptured) return err.phonemes;
    throw err;
  }
  throw new Error('kokoro-js returned without tokenizing');
}

/** Phonemes for `text` in `lang`: English through kokoro-js (its voice letter picks the accent), the rest through workers/g2p. */
export async function phonemizeIn(text: string, lang: Language): Promise<string> {
  if (lang === 'en-us' || lang === 'en-gb') return phonemize(text, lang === 'en-gb' ? 'bf_emma' : 'af_heart');
  return (await g2p(text, lang)).phonemes;
}
