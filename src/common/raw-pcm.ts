/**
 * Raw PCM in the byte layouts voice-agent protocols ask for (ElevenLabs `pcm_*`/`ulaw_8000`/
 * `alaw_8000`, Cartesia `pcm_s16le`/`pcm_f32le`/`pcm_mulaw`/`pcm_alaw`), at any rate:
 * one phrase at a time, resampled with `resample()` (each phrase starts and ends in
 * near-silence, so no state is carried across phrases), then encoded.
 */
import alawmulaw from 'alawmulaw';
import { floatToS16le, resample } from './audio.ts';

export type RawEncoding = 's16le' | 'f32le' | 'mulaw' | 'alaw';

/** Int16 samples of an s16le buffer, viewed in place when aligned. */
function int16(buf: Buffer): Int16Array {
  if (buf.byteOffset % 2 === 0) return new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2);
  const copy = new Int16Array(buf.byteLength / 2);
  new Uint8Array(copy.buffer).set(buf);
  return copy;
}

function f32le(pcm: Float32Array): Buffer {
  const out = Buffer.alloc(pcm.length * 4);
  for (let i = 0; i < pcm.length; i++) out.writeFloatLE(Math.max(-1, Math.min(1, pcm[i]!)), i * 4);
  return out;
}

/** Mono float PCM at `from` Hz -> `encoding` bytes at `to` Hz. */
export function encodeRaw(pcm: Float32Array, from: number, to: number, encoding: RawEncoding): Buffer {
  const at = from === to ? pcm : resample(pcm, from, to);
  if (encoding === 'f32le') return f32le(at);
  const s16 = floatToS16le(at);
  if (encoding === 's16le') return s16;
  const coded = encoding === 'mulaw' ? alawmulaw.mulaw.encode(int16(s16)) : alawmulaw.alaw.encode(int16(s16));
  return Buffer.from(coded.buffer, coded.byteOffset, coded.byteLength);
}

/** `bytes` cut into views of at most `max` bytes (a multiple of `align`, so samples stay whole), in order. */
export function pieces(bytes: Buffer, max: number, align = 4): Buffer[] {
  const step = Math.max(align, max - (max % align));
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += step) out.push(bytes.subarray(at, at + step));
  return out;
}
