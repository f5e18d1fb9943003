/**
 * The audio of a Deepgram Speak session: the pipeline's 24 kHz float chunks, resampled to
 * the session's rate and encoded as raw linear16 (s16le), mu-law or A-law bytes
 * (src/common/raw-pcm.ts, shared with the ElevenLabs and Cartesia sockets), cut into
 * frames small enough for every client.
 *
 * Resampling is `resample()` of src/common/audio.ts (windowed sinc, cut-off below the new
 * Nyquist), chunk by chunk: each chunk is a phrase that starts and ends in near-silence,
 * so no state is carried across chunks and a chunk's length is exact (round(n * to / from)).
 * libsamplerate-js was measured and not used: its create() is asynchronous and builds a
 * separate ~2 MB wasm instance per converter, and its sinc converters were no faster than
 * resample() on this host.
 */
import { encodeRaw } from '../../common/raw-pcm.ts';
import { OUTPUT_SAMPLE_RATE } from '../../gateway/context.ts';
import type { DeepgramEncoding } from './query.ts';

/**
 * Largest binary frame sent. Python's `websockets` (Pipecat) refuses messages over 1 MiB
 * by default, and one phrase at 48 kHz linear16 can exceed that.
 */
export const MAX_FRAME_BYTES = 32 * 1024;

/** One chunk at OUTPUT_SAMPLE_RATE -> the session's encoded bytes. */
export function encodeChunk(pcm: Float32Array, encoding: DeepgramEncoding, sampleRate: number): Buffer {
  return encodeRaw(pcm, OUTPUT_SAMPLE_RATE, sampleRate, encoding === 'linear16' ? 's16le' : encoding);
}

/** The frames to send for `bytes`, in order; each a view, none over MAX_FRAME_BYTES (even, so s16 samples stay whole). */
export function frames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += MAX_FRAME_BYTES) out.push(bytes.subarray(at, at + MAX_FRAME_BYTES));
  return out;
}
