/**
 * What a speech request's input becomes before it is taken: runs of inline-markup text,
 * each at a rate (SSML's prosody; 1 otherwise). Plain text is checked for bad tags; phoneme
 * input is checked against the model's vocabulary and limit and wrapped as phoneme tags,
 * one per sentence, so the chunker groups them within the token budget and never splits one.
 * Throws InputError with the catalogue code; nothing is queued for a bad input.
 */
import type { ErrorCode } from '../errors.ts';
import { checkMarkup, MarkupError } from './check-markup.ts';
import { isSsml, SsmlError, ssmlToRuns, type SsmlRun } from './ssml.ts';
import { MAX_PHONEME_TOKENS, phonemeTokens, unknownSymbols } from './vocab.ts';

export type InputType = 'text' | 'phonemes';
export const INPUT_TYPES: readonly InputType[] = ['text', 'phonemes'];

export class InputError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'invalid_markup' | 'invalid_phonemes' | 'invalid_ssml'>,
    message: string,
  ) {
    super(message);
  }
}

/** Phoneme input as phoneme tags, one per sentence (a tag holds no "/", "(" or ")"). */
export function phonemesToMarkup(phonemes: string): string {
  const bad = unknownSymbols(phonemes.replace(/\s/g, ' ').replace(/[()]/g, ','));
  if (bad.length > 0) throw new InputError('invalid_phonemes', `symbols the model does not know: ${bad.map((c) => JSON.stringify(c)).join(' ')}`);
  const sentences = phonemes.replace(/\s+/g, ' ').replace(/[()]/g, ',').trim().split(/(?<=[.!?;:…])\s+/u).filter((s) => s !== '');
  if (sentences.length === 0) throw new InputError('invalid_phonemes', 'no phonemes');
  for (const s of sentences) {
    const tokens = phonemeTokens(s);
    if (tokens > MAX_PHONEME_TOKENS) throw new InputError('invalid_phonemes', `a sentence of ${tokens} phoneme tokens; the model takes at most ${MAX_PHONEME_TOKENS}: end sentences with . ! ? ; or :`);
  }
  return sentences.map((s) => `[](/${s}/)`).join(' ');
}

export function speechRuns(input: string, type: InputType): SsmlRun[] {
  if (type === 'phonemes') return [{ text: phonemesToMarkup(input), rate: 1 }];
  try {
    const runs = isSsml(input) ? ssmlToRuns(input) : [{ text: input, rate: 1 }];
    for (const run of runs) checkMarkup(run.text);
    return runs;
  } catch (err) {
    if (err instanceof SsmlError) throw new InputError('invalid_ssml', err.message);
    if (err instanceof MarkupError) throw new InputError(isSsml(input) ? 'invalid_ssml' : 'invalid_markup', err.message);
    throw err;
  }
}
