/**
 * Word times on the audio a listener gets. A worker times words on the chunk as synthesized;
 * the join shaping then trims silence from its start (join-silence.ts), so every time moves
 * earlier by what was trimmed. Trimming only ever removes silence, so no spoken sound is lost,
 * but a word's edge can sit in the trimmed lead or tail (durations are whole frames of 25 ms):
 * times are clamped into the delivered audio, keeping 0 <= start <= end <= its duration.
 */
import type { WordTiming } from '../shared/word-timing.ts';

export function shiftWords(words: readonly WordTiming[], trimmedLeadSamples: number, deliveredSamples: number, sampleRate: number): WordTiming[] {
  const shiftMs = (trimmedLeadSamples * 1000) / sampleRate;
  const durationMs = (deliveredSamples * 1000) / sampleRate;
  const clamp = (ms: number, low: number) => Math.min(durationMs, Math.max(low, ms));
  return words.map((w) => {
    const startMs = clamp(w.startMs - shiftMs, 0);
    return { ...w, startMs, endMs: clamp(w.endMs - shiftMs, startMs) };
  });
}
