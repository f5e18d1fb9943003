/**
 * What a listener playing a streamed turn in real time hears: playback starts when the first
 * audio arrives and plays each chunk as soon as it is both here and due. A chunk that arrives
 * after the audio before it has finished playing is an underrun: the listener hears a stall of
 * that length that the speech itself does not contain.
 */
export interface Playback {
  underruns: number;
  /** Total silence the listener heard that is not in the audio, in ms. */
  stallMs: number;
}

export function playInRealTime(arrivals: ReadonlyArray<{ atMs: number; samples: number }>, sampleRate: number): Playback {
  let underruns = 0;
  let stallMs = 0;
  let playedUntil = NaN;
  for (const { atMs, samples } of arrivals) {
    if (Number.isNaN(playedUntil)) playedUntil = atMs;
    else if (atMs > playedUntil) {
      underruns++;
      stallMs += atMs - playedUntil;
      playedUntil = atMs;
    }
    playedUntil += (samples * 1000) / sampleRate;
  }
  return { underruns, stallMs };
}
