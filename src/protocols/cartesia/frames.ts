/**
 * Host -> client messages of Cartesia's TTS socket, with the status codes Cartesia sends:
 * 206 for a part of a generation (chunk, timestamps, flush_done), 200 for its end (done),
 * and the catalogue's HTTP status for an error (400 bad input, 413 too long, 503
 * overloaded...). Every message names its context.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../errors.ts';
import type { WordTiming } from '../../shared/word-timing.ts';

export function chunkFrame(contextId: string, data: Buffer, stepMs: number): object {
  return { type: 'chunk', context_id: contextId, status_code: 206, done: false, data: data.toString('base64'), step_time: stepMs };
}

/** Word times in seconds on the context's timeline: `offsetMs` is where the chunk starts on it. */
export function timestampsFrame(contextId: string, words: readonly WordTiming[], offsetMs: number): object {
  const s = (ms: number) => Math.round(offsetMs + ms) / 1000;
  return {
    type: 'timestamps',
    context_id: contextId,
    status_code: 206,
    done: false,
    word_timestamps: { words: words.map((w) => w.word), start: words.map((w) => s(w.startMs)), end: words.map((w) => s(w.endMs)) },
  };
}

export function flushDoneFrame(contextId: string, flushId: number): object {
  return { type: 'flush_done', context_id: contextId, status_code: 206, done: false, flush_done: true, flush_id: flushId };
}

export function doneFrame(contextId: string): object {
  return { type: 'done', context_id: contextId, status_code: 200, done: true };
}

/** `code` is the host's catalogue code, besides Cartesia's own fields. */
export function errorFrame(contextId: string | undefined, code: ErrorCode, message: string): object {
  return { type: 'error', context_id: contextId ?? '', status_code: ERROR_CATALOGUE[code].status, done: true, error: message, code };
}
