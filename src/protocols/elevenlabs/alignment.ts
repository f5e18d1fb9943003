/**
 * ElevenLabs character alignment of one audio message, from the word times of its chunk
 * (TurnAudio.words; ms from the chunk's first sample, which is where ElevenLabs measures
 * too: "relative to the returned chunk").
 *
 * Rule: every character of the chunk's text is listed. A word's span [startMs, endMs) is
 * shared evenly by its characters. Characters outside every word (spaces, punctuation)
 * share evenly the gap between the end of the word before them (0 at the start) and the
 * start of the word after them (the last word's end at the tail): zero-length when the
 * words touch. Boundaries are rounded once, so each character starts where the previous
 * one ended and times never go backwards. No words (the host cannot time them): null.
 */
import type { WordTiming } from '../../shared/word-timing.ts';

export interface CharAlignment {
  chars: string[];
  charStartTimesMs: number[];
  charDurationsMs: number[];
}

export function charAlignment(text: string, words: readonly WordTiming[] | undefined): CharAlignment | null {
  if (words === undefined) return null;
  const n = text.length;
  // bounds[i] = the time character i starts; bounds[n] = the time the last one ends.
  const bounds = new Float64Array(n + 1);
  const sorted = [...words].filter((w) => w.charEnd > w.charStart && w.charStart < n).sort((a, b) => a.charStart - b.charStart);
  let at = 0;
  let prevEnd = 0;
  const gap = (from: number, to: number, t0: number, t1: number) => {
    const span = Math.max(0, t1 - t0);
    for (let i = from; i < to; i++) bounds[i] = t0 + (span * (i - from)) / (to - from);
  };
  for (const w of sorted) {
    const start = Math.max(w.charStart, at);
    const end = Math.min(w.charEnd, n);
    if (end <= start) continue;
    const t0 = Math.max(prevEnd, w.startMs);
    const t1 = Math.max(t0, w.endMs);
    gap(at, start, prevEnd, t0);
    for (let i = start; i < end; i++) bounds[i] = t0 + ((t1 - t0) * (i - start)) / (end - start);
    at = end;
    prevEnd = t1;
  }
  gap(at, n, prevEnd, prevEnd);
  bounds[n] = prevEnd;
  const chars: string[] = [];
  const charStartTimesMs: number[] = [];
  const charDurationsMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = Math.round(bounds[i]!);
    chars.push(text[i]!);
    charStartTimesMs.push(s);
    charDurationsMs.push(Math.round(bounds[i + 1]!) - s);
  }
  return { chars, charStartTimesMs, charDurationsMs };
}
