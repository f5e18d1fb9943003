/**
 * The lexicon on every chunk's way to synthesis, whatever protocol it came from: a
 * Synthesizer that rewrites lexicon words as inline phoneme tags, then hands on. The
 * turn's own record of the chunk (what protocols echo) keeps the text as the user wrote it.
 */
import type { Synthesizer } from '../synth/types.ts';
import type { Lexicon } from './lexicon.ts';

export function withLexicon(synth: Synthesizer, lexicon: Lexicon): Synthesizer {
  return { synthesize: (req) => synth.synthesize({ ...req, text: lexicon.apply(req.text, req.voice) }) };
}
