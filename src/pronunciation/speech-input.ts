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
import { phonemeTokens, unknownSymbols } from './vocab.ts';

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

/**
 * Phonemes per tag: a tag is one word to the chunker, which never splits it; this keeps a
 * tag within the first chunk's budget, so long input still starts speaking soon. Tags of one
 * chunk are joined by a space in the worker, so the model gets the phonemes as written.
 */
const TAG_TOKENS = 100;
/** A single phoneme word (no space) longer than this cannot fit a chunk whole. */
const MAX_WORD_TOKENS = 250;

/** Phoneme input as phoneme tags: sentences, cut at spaces into pieces of at most TAG_TOKENS. */
export function phonemesToMarkup(phonemes: string): string {
  const flat = phonemes.replace(/\s+/g, ' ').replace(/[()]/g, ',').trim();
  const bad = unknownSymbols(flat);
  if (bad.length > 0) throw new InputError('invalid_phonemes', `symbols the model does not know: ${bad.map((c) => JSON.stringify(c)).join(' ')}`);
  if (flat === '') throw new InputError('invalid_phonemes', 'no phonemes');
  const tags: string[] = [];
  let piece = '';
  for (const word of flat.split(' ')) {
    const tokens = phonemeTokens(word);
    if (tokens > MAX_WORD_TOKENS) throw new InputError('invalid_phonemes', `a phoneme word of ${tokens} tokens (no space in it); at most ${MAX_WORD_TOKENS}`);
    if (piece !== '' && phonemeTokens(piece) + 1 + tokens > TAG_TOKENS) {
      tags.push(piece);
      piece = '';
    }
    piece = piece === '' ? word : `${piece} ${word}`;
    // A sentence ends its tag: the chunker may cut there.
    if (/[.!?;:…]$/u.test(word)) {
      tags.push(piece);
      piece = '';
    }
  }
  if (piece !== '') tags.push(piece);
  return tags.map((s) => `[](/${s}/)`).join(' ');
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
