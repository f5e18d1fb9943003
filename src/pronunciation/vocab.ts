/**
 * The model's symbols, for checking phonemes a user gives (inline tags, phoneme input,
 * SSML <phoneme>, the lexicon) before any work is queued. Same file the worker tokenizes
 * with (a copy of ../shared/kokoro/vocab.json).
 */
import vocabFile from '../../workers/kokoro/vocab.json' with { type: 'json' };

const SYMBOLS: ReadonlySet<string> = new Set(Object.keys(vocabFile.vocab));
export const MAX_PHONEME_TOKENS: number = vocabFile.max_phoneme_tokens;

/** The symbols of `phonemes` the model does not know (each once, in order). */
export function unknownSymbols(phonemes: string): string[] {
  const bad = new Set<string>();
  for (const ch of phonemes) if (!SYMBOLS.has(ch)) bad.add(ch);
  return [...bad];
}

/** Model tokens of `phonemes` (every symbol is one token). */
export function phonemeTokens(phonemes: string): number {
  let n = 0;
  for (const ch of phonemes) if (SYMBOLS.has(ch)) n++;
  return n;
}

/** Why these phonemes cannot be spoken, or null. */
export function phonemeProblem(phonemes: string): string | null {
  if (phonemes.trim() === '') return 'no phonemes';
  const bad = unknownSymbols(phonemes);
  if (bad.length > 0) return `symbols the model does not know: ${bad.map((c) => JSON.stringify(c)).join(' ')}`;
  const tokens = phonemeTokens(phonemes);
  if (tokens > MAX_PHONEME_TOKENS) return `${tokens} phoneme tokens; the model takes at most ${MAX_PHONEME_TOKENS} at once`;
  return null;
}

const IDS: ReadonlyMap<string, number> = new Map(Object.entries(vocabFile.vocab));

/** The model's token ids for `phonemes` (unknown symbols have none). */
export function phonemeTokenIds(phonemes: string): number[] {
  const ids: number[] = [];
  for (const ch of phonemes) {
    const id = IDS.get(ch);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}
