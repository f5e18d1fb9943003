/**
 * The fixed text set (bench/texts.json) and its pre-tokenized form for the raw part.
 * Every part draws turns from the same interleaved list, so the mix of short, medium and
 * long texts is the same everywhere.
 */
import texts from '../texts.json' with { type: 'json' };
import { phonemize } from '../../workers/kokoro/phonemize.ts';
import { MAX_PHONEME_TOKENS, frameIds, phonemesToIds } from '../../workers/kokoro/tokenizer.ts';

export const VOICE = 'af_heart';

export interface TextSet {
  short: readonly string[];
  medium: readonly string[];
  long: readonly string[];
}

export const TEXTS: TextSet = texts;

/** A reply as an LLM streams it (bench/run.ts and bench/stream.ts send it at 50 tokens a second). */
export const LLM_REPLY = 'Sure, I can help with that. Your order shipped this morning and should arrive on Thursday, before noon. Is there anything else I can check for you today?';

/** short, medium, long, short, medium, long, ... (then the remaining ones). */
export function mixedTexts(set: TextSet = TEXTS): string[] {
  const out: string[] = [];
  const n = Math.max(set.short.length, set.medium.length, set.long.length);
  for (let i = 0; i < n; i++) {
    for (const list of [set.short, set.medium, set.long]) {
      const text = list[i];
      if (text !== undefined) out.push(text);
    }
  }
  return out;
}

/**
 * Sentences, roughly as the host's phrase chunker cuts a turn (it splits at sentence ends,
 * and at clauses only in long sentences), so raw runs inputs of the sizes the host runs.
 */
export function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter((s) => s !== '');
}

export interface Tokenized {
  inputs: BigInt64Array[];
  tokens: number;
  phonemizeMsPerCall: number;
}

/** Phonemizes every sentence of `list` once, up front (kokoro-js espeak-ng). */
export async function tokenize(list: readonly string[]): Promise<Tokenized> {
  await phonemize('Warm up.', VOICE);
  const inputs: BigInt64Array[] = [];
  let tokens = 0;
  let calls = 0;
  const t0 = performance.now();
  for (const text of list) {
    for (const sentence of sentences(text)) {
      const ids = phonemesToIds(await phonemize(sentence, VOICE));
      calls++;
      // The host would split an over-long sentence further; the fixed set has none.
      if (ids.length === 0 || ids.length > MAX_PHONEME_TOKENS) continue;
      tokens += ids.length;
      inputs.push(frameIds(ids));
    }
  }
  return { inputs, tokens, phonemizeMsPerCall: calls === 0 ? NaN : (performance.now() - t0) / calls };
}

/**
 * The soak's mix, weighted to short turns as a voice agent sends them: per ten turns,
 * five short, four medium, one long.
 */
export function soakTexts(set: TextSet = TEXTS): string[] {
  const pattern = ['short', 'medium', 'short', 'medium', 'short', 'medium', 'short', 'medium', 'short', 'long'] as const;
  const next = { short: 0, medium: 0, long: 0 };
  const out: string[] = [];
  const rounds = Math.max(set.short.length, set.medium.length, set.long.length);
  for (let r = 0; r < rounds; r++) {
    for (const kind of pattern) {
      const list = set[kind];
      out.push(list[next[kind]++ % list.length]!);
    }
  }
  return out;
}
