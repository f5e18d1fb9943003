/**
 * Text -> phonemes with kokoro-js's own normalisation and espeak-ng phonemizer.
 *
 * kokoro-js exports no phonemize function, but its KokoroTTS accepts any tokenizer:
 * `generate()` normalises and phonemizes the text, then hands the phonemes to the
 * tokenizer. We give it a tokenizer that records the phonemes and stops there, so the
 * phonemes are exactly those kokoro-js would synthesize, and no model is involved.
 */
import { KokoroTTS } from 'kokoro-js';
import type { G2pResult, G2pWord } from '../../src/shared/word-timing.ts';
import { alignWords, textWords } from './word-align.ts';

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

/** Words repeat: each one's own phonemes are kept for the next chunk (bounded, oldest out first). */
const WORD_CACHE_LIMIT = 4096;
const wordCache = new Map<string, string>();

async function wordPhonemes(word: string, voice: string): Promise<string> {
  // The voice's first letter picks the espeak language (kokoro-js: a = en-us, b = en-gb).
  const key = `${voice[0]}\0${word}`;
  let ph = wordCache.get(key);
  if (ph === undefined) {
    ph = await phonemize(word, voice);
    if (wordCache.size >= WORD_CACHE_LIMIT) wordCache.delete(wordCache.keys().next().value!);
    wordCache.set(key, ph);
  }
  return ph;
}

/**
 * Phonemes for `text` and the words they came from (word-align.ts): the sentence's phonemes,
 * unchanged, and each word located by its own phonemes. Costs up to one espeak-ng call per new
 * word, so it is used only when the model gives durations.
 */
export async function g2p(text: string, voice: string): Promise<G2pResult> {
  const phonemes = await phonemize(text, voice);
  return { phonemes, words: await locateWords(text, phonemes, voice) };
}

/** The words of `text` in `phonemes` (its sentence phonemes, from phonemize()). */
export async function locateWords(text: string, phonemes: string, voice: string): Promise<G2pWord[]> {
  const words = textWords(text);
  const own: string[] = [];
  for (const word of words) own.push(await wordPhonemes(word.text, voice));
  return alignWords(phonemes, words, own);
}
