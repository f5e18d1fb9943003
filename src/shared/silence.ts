/**
 * Leading and trailing silence of a chunk, measured where it is synthesized (the worker)
 * so the host can trim joins without scanning audio on the event loop.
 *
 * Kokoro pads every chunk with ~300 ms of near-digital silence before the speech and
 * ~450 ms after it. A sample counts as sound at or above the threshold's amplitude; what
 * lies outside the first and last such sample is silence, and only that is ever trimmed.
 */
export interface Silence {
  /** Samples before the first one at or above the threshold (the whole chunk if none is). */
  lead: number;
  /** Samples after the last one at or above the threshold (0 for a chunk with no sound). */
  trail: number;
}

/** -60 dBFS: well under speech onsets and decays (which cross -40 dBFS 10-40 ms later). */
export const DEFAULT_SILENCE_THRESHOLD_DBFS = -60;

export function amplitudeOf(dbfs: number): number {
  return 10 ** (dbfs / 20);
}

/** One pass from each end, stopping at the first sound: a few thousand samples per chunk. */
export function measureSilence(pcm: Float32Array, thresholdDbfs = DEFAULT_SILENCE_THRESHOLD_DBFS): Silence {
  const threshold = amplitudeOf(thresholdDbfs);
  let first = 0;
  while (first < pcm.length && Math.abs(pcm[first]!) < threshold) first++;
  if (first === pcm.length) return { lead: pcm.length, trail: 0 };
  let last = pcm.length - 1;
  while (Math.abs(pcm[last]!) < threshold) last--;
  return { lead: first, trail: pcm.length - 1 - last };
}
