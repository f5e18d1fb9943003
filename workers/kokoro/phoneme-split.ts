/**
 * The worker's hard split: phonemes over the model's token limit are cut into pieces that fit,
 * at the last pause mark or space before the limit (by symbols only when a piece has neither),
 * so a phrase the chunker's estimate let through too long is spoken whole, never truncated.
 */
import { VOCAB } from './tokenizer.ts';

const PAUSES = new Set([...'.!?…;:,—']);

/** `phonemes` in pieces of at most `limit` vocab symbols each; every symbol kept, in order. */
export function splitPhonemes(phonemes: string, limit: number): string[] {
  const symbols = [...phonemes];
  const pieces: string[] = [];
  let start = 0;
  while (start < symbols.length) {
    let tokens = 0;
    let end = start;
    let lastSpace = -1;
    let lastPause = -1;
    while (end < symbols.length) {
      const s = symbols[end]!;
      if (VOCAB.has(s)) {
        if (tokens === limit) break;
        tokens++;
      }
      end++;
      if (s === ' ') lastSpace = end;
      if (PAUSES.has(s)) lastPause = end;
    }
    // The rest fits, or cut after the last pause (else space) that leaves a piece worth speaking.
    const floor = start + 1;
    const cut = end === symbols.length ? end : lastPause > floor ? lastPause : lastSpace > floor ? lastSpace : end;
    const piece = symbols.slice(start, cut).join('').trim();
    if (piece !== '') pieces.push(piece);
    start = cut;
  }
  return pieces;
}
