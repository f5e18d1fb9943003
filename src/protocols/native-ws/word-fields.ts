/**
 * The word-timing extension's fields of a `tts_meta` (ws-v1.md, "Extension: word timing"):
 * `offset_ms` on the turn's audio timeline and `words` relative to the binary frame that follows.
 *
 * Whole milliseconds, kept inside the frame: 0 <= start_ms <= end_ms <= samples / rate * 1000
 * (rounding could otherwise push the last word's end half a millisecond past the audio).
 * A chunk the host did not time (an upstream fallback chunk) has `words: []`.
 */
import type { TurnAudio } from '../../gateway/turn/turn-events.ts';

export interface WireWord {
  word: string;
  start_ms: number;
  end_ms: number;
}

export function timingFields(a: Pick<TurnAudio<unknown>, 'pcm' | 'offsetMs' | 'words'>, sampleRate: number): { offset_ms: number; words: WireWord[] } {
  const cap = Math.floor((a.pcm.length * 1000) / sampleRate);
  const words = (a.words ?? []).map((w) => {
    const start = Math.min(cap, Math.max(0, Math.round(w.startMs)));
    const end = Math.min(cap, Math.max(start, Math.round(w.endMs)));
    return { word: w.word, start_ms: start, end_ms: end };
  });
  return { offset_ms: Math.round(a.offsetMs), words };
}
