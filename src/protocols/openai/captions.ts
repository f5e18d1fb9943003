/**
 * Word timestamps as Kokoro-FastAPI's captioned speech gives them (`{word, start_time,
 * end_time}` in seconds), placed on the turn's audio timeline: a chunk's word times are
 * relative to its first sample, and TurnAudio.offsetMs is where that sample lies in the
 * whole response. The SSE timing events of /v1/audio/speech use the same entries.
 */
import { ApiError } from '../../gateway/http-errors.ts';
import type { TurnAudio } from '../../gateway/turn/turn.ts';

export interface CaptionTimestamp {
  word: string;
  /** Seconds from the start of the response's audio, to the millisecond. */
  start_time: number;
  end_time: number;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** The chunk's words on the turn's timeline; undefined when the host could not time them. */
export function turnTimestamps(a: TurnAudio<unknown>): CaptionTimestamp[] | undefined {
  if (a.words === undefined) return undefined;
  return a.words.map((w) => ({ word: w.word, start_time: seconds(a.offsetMs + w.startMs), end_time: seconds(a.offsetMs + w.endMs) }));
}

/** Timestamps were asked for and the first audio came without them: nothing has been sent yet. */
export function cannotTime(param: string): ApiError {
  return new ApiError('timing_unavailable', 'this host cannot time words with its model (it gives no durations); ask again without return_timestamps', param);
}
