/**
 * Word timing, shared by both threads and every protocol (ws-v1's word-timing extension,
 * ElevenLabs' character alignment, Cartesia's word timestamps, captioned speech).
 *
 * A worker that can read the model's per-token durations maps its phoneme tokens back to the
 * words of the chunk's text (`G2pWord`) and times each word (`WordTiming`). The pipeline
 * shifts the times by the silence it trims at joins; renderers place them on their own
 * timelines. Hosts without durations leave `words` undefined: "cannot time", not "no words".
 */

/** One word of a chunk's text and the span of phonemes spoken for it. */
export interface G2pWord {
  /** Offsets of the word in the text that was phonemized (UTF-16 code units, end exclusive). */
  charStart: number;
  charEnd: number;
  /** Offsets of its phonemes in the phoneme string (code points, end exclusive). */
  phStart: number;
  phEnd: number;
}

/** What a grapheme-to-phoneme front end returns: phonemes, and which words they came from. */
export interface G2pResult {
  phonemes: string;
  /** In spoken order; punctuation alone is not a word. */
  words: G2pWord[];
}

/** One spoken word's time inside a chunk's audio. */
export interface WordTiming {
  /** The word as the client wrote it: a number or a symbol spoken as several words is one entry. */
  word: string;
  /** Offsets of `word` in the chunk's text (UTF-16 code units, end exclusive), for character alignment. */
  charStart: number;
  charEnd: number;
  /** ms from the first sample of the chunk's audio (as synthesized in a worker; as delivered after the pipeline shifts it). */
  startMs: number;
  endMs: number;
}
