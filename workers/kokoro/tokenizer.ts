/**
 * Phonemes -> Kokoro token ids, from the Kokoro-82M vocab (a copy of
 * ../shared/kokoro/vocab.json). Pure: used by the worker and by tests.
 */
import vocabFile from './vocab.json' with { type: 'json' };

export const VOCAB: ReadonlyMap<string, number> = new Map(Object.entries(vocabFile.vocab));
export const PAD_ID = vocabFile.pad_id;
export const MAX_PHONEME_TOKENS = vocabFile.max_phoneme_tokens;
export const VOICE_ROWS = vocabFile.voice_rows;
export const STYLE_DIM = vocabFile.style_input_dim;
export const SAMPLE_RATE = vocabFile.sample_rate;

/**
 * Ids for each phoneme the vocab knows. Characters outside the vocab are dropped, as
 * Kokoro's own tokenizer does (they have no id; espeak-ng rarely emits them).
 */
export function phonemesToIds(phonemes: string): number[] {
  const ids: number[] = [];
  for (const ch of phonemes) {
    const id = VOCAB.get(ch);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/** Model input: the ids framed by the pad token at both ends, as Kokoro was trained. */
export function frameIds(ids: readonly number[]): BigInt64Array {
  const out = new BigInt64Array(ids.length + 2);
  for (let i = 0; i < ids.length; i++) out[i + 1] = BigInt(ids[i]!);
  return out;
}
