/**
 * PCM and WAV helpers shared by both threads and the gateway. Pure and dependency-free
 * (src/shared may not import the host's error catalogue), so bad input throws an
 * `AudioFormatError`; callers map it to their own error codes (the upstream provider
 * turns it into `tts_chunk_failed`).
 */

/** Malformed audio: a bad WAV, an odd-length s16 buffer, an impossible header request. */
export class AudioFormatError extends Error {
  readonly code = 'invalid_audio' as const;
  constructor(message: string) {
    super(message);
    this.name = 'AudioFormatError';
  }
}

/**
 * Float samples in [-1, 1] -> signed 16-bit little-endian, clamped and rounded. The scale
 * is asymmetric (-1 -> -32768, 1 -> 32767) so that s16 -> float -> s16 is exact.
 * NaN becomes 0.
 */
export function floatToS16le(pcm: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]!;
    let s = 0;
    if (v >= 1) s = 32767;
    else if (v <= -1) s = -32768;
    else if (v > 0) s = Math.round(v * 32767);
    else if (v < 0) s = Math.round(v * 32768);
    out.writeInt16LE(s, i * 2);
  }
  return out;
}

/** Signed 16-bit little-endian -> float in [-1, 1). Throws on an odd byte count. */
export function s16leToFloat(buf: Uint8Array): Float32Array {
  if (buf.byteLength % 2 !== 0) throw new AudioFormatError(`s16 audio needs an even byte count, got ${buf.byteLength}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Float32Array(buf.byteLength / 2);
  for (let i = 0; i < out.length; i++) {
    const s = view.getInt16(i * 2, true);
    out[i] = s < 0 ? s / 32768 : s / 32767;
  }
  return out;
}

export interface WavHeaderOptions {
  sampleRate: number;
  channels: number;
  bitsPerSample: 16 | 32;
  format: 'pcm' | 'float';
  /** Bytes of sample data, or null when streaming an unknown length (sizes 0xFFFFFFFF). */
  dataBytes: number | null;
}

const UNKNOWN_SIZE = 0xffffffff;
const HEADER_BYTES = 44;

/** The canonical 44-byte RIFF/WAVE header (fmt + data chunks). */
export function wavHeader(opts: WavHeaderOptions): Buffer {
  const { sampleRate, channels, bitsPerSample, format, dataBytes } = opts;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new AudioFormatError(`bad sample rate ${sampleRate}`);
  if (!Number.isInteger(channels) || channels < 1 || channels > 65535) throw new AudioFormatError(`bad channel count ${channels}`);
  if (bitsPerSample !== 16 && bitsPerSample !== 32) throw new AudioFormatError(`bad bits per sample ${String(bitsPerSample)}`);
  if (format === 'float' && bitsPerSample !== 32) throw new AudioFormatError('float WAV needs 32 bits per sample');
  if (format !== 'pcm' && format !== 'float') throw new AudioFormatError(`bad format ${String(format)}`);
  if (dataBytes !== null && (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > UNKNOWN_SIZE - 36)) {
    throw new AudioFormatError(`bad data size ${dataBytes}`);
  }
  const blockAlign = channels * (bitsPerSample / 8);
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(dataBytes === null ? UNKNOWN_SIZE : 36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(format === 'float' ? 3 : 1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bitsPerSample, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes === null ? UNKNOWN_SIZE : dataBytes, 40);
  return h;
}

export interface DecodedWav {
  sampleRate: number;
  /** Channels in the file; `pcm` is always their mono mixdown. */
  channels: number;
  pcm: Float32Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * A WAV file -> mono float PCM. Reads integer PCM (8/16/24/32-bit), float (32/64-bit)
 * and WAVE_FORMAT_EXTENSIBLE, skips unknown chunks, and accepts streamed files whose
 * data size is 0 or 0xFFFFFFFF (the rest of the file is the data). Stereo and wider
 * are mixed down by averaging.
 */
export function parseWav(buf: Uint8Array): DecodedWav {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (at: number) => String.fromCharCode(buf[at]!, buf[at + 1]!, buf[at + 2]!, buf[at + 3]!);
  if (buf.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new AudioFormatError('not a RIFF/WAVE file');
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | undefined;
  let at = 12;
  while (at + 8 <= buf.byteLength) {
    const id = tag(at);
    const declared = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (declared < 16 || body + 16 > buf.byteLength) throw new AudioFormatError('truncated fmt chunk');
      let format = view.getUint16(body, true);
      if (format === FORMAT_EXTENSIBLE) {
        if (declared < 40 || body + 26 > buf.byteLength) throw new AudioFormatError('truncated extensible fmt chunk');
        format = view.getUint16(body + 24, true);
      }
      fmt = { format, channels: view.getUint16(body + 2, true), sampleRate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (fmt === undefined) throw new AudioFormatError('data chunk before fmt chunk');
      const remaining = buf.byteLength - body;
      const size = declared === 0 || declared === UNKNOWN_SIZE || declared > remaining ? remaining : declared;
      return decodeSamples(buf.subarray(body, body + size), fmt);
    }
    at = body + declared + (declared % 2);
  }
  throw new AudioFormatError(fmt === undefined ? 'no fmt chunk' : 'no data chunk');
}

function decodeSamples(data: Uint8Array, fmt: { format: number; channels: number; sampleRate: number; bits: number }): DecodedWav {
  const { format, channels, sampleRate, bits } = fmt;
  if (channels < 1) throw new AudioFormatError('zero channels');
  if (sampleRate < 1) throw new AudioFormatError('zero sample rate');
  const read = sampleReader(format, bits);
  const bytes = bits / 8;
  const frames = Math.floor(data.byteLength / (bytes * channels));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const pcm = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(view, (f * channels + c) * bytes);
    pcm[f] = sum / channels;
  }
  return { sampleRate, channels, pcm };
}

function sampleReader(format: number, bits: number): (view: DataView, at: number) => number {
  if (format === FORMAT_PCM) {
    switch (bits) {
      case 8:
        return (v, at) => (v.getUint8(at) - 128) / 128;
      case 16:
        return (v, at) => {
          const s = v.getInt16(at, true);
          return s < 0 ? s / 32768 : s / 32767;
        };
      case 24:
        return (v, at) => {
          const s = (v.getUint8(at) | (v.getUint8(at + 1) << 8) | (v.getInt8(at + 2) << 16)) >>> 0;
          return ((s << 8) >> 8) / 8388608;
        };
      case 32:
        return (v, at) => v.getInt32(at, true) / 2147483648;
    }
  }
  if (format === FORMAT_FLOAT) {
    if (bits === 32) return (v, at) => v.getFloat32(at, true);
    if (bits === 64) return (v, at) => v.getFloat64(at, true);
  }
  throw new AudioFormatError(`unsupported WAV encoding (format ${format}, ${bits} bits)`);
}

/** Zero crossings of the windowed-sinc kernel on each side of a sample. */
const KERNEL_HALF_WIDTH = 16;
/** Kernel table resolution, per zero crossing (linear interpolation between entries). */
const KERNEL_STEPS = 512;
/** Keep the pass band a little below the new Nyquist, so the transition band folds nothing back. */
const ROLLOFF = 0.94;
let kernelTable: Float32Array | undefined;

/** sinc(x) * Blackman window over [0, HALF_WIDTH], sampled KERNEL_STEPS times per unit. */
function kernel(): Float32Array {
  if (kernelTable !== undefined) return kernelTable;
  const n = KERNEL_HALF_WIDTH * KERNEL_STEPS + 2;
  const table = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = i / KERNEL_STEPS;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const w = x >= KERNEL_HALF_WIDTH ? 0 : 0.42 + 0.5 * Math.cos((Math.PI * x) / KERNEL_HALF_WIDTH) + 0.08 * Math.cos((2 * Math.PI * x) / KERNEL_HALF_WIDTH);
    table[i] = sinc * w;
  }
  kernelTable = table;
  return table;
}

/**
 * Band-limited resampling (windowed sinc, Blackman, 16 zero crossings). Downsampling
 * lowers the cut-off to the new Nyquist, so content above it is removed rather than
 * aliased. Output length is round(n * to / from). Equal rates return a copy.
 */
export function resample(pcm: Float32Array, from: number, to: number): Float32Array {
  if (!(from > 0) || !(to > 0) || !Number.isFinite(from) || !Number.isFinite(to)) {
    throw new AudioFormatError(`bad sample rates ${from} -> ${to}`);
  }
  if (from === to) return new Float32Array(pcm);
  const table = kernel();
  const outLength = Math.round((pcm.length * to) / from);
  const out = new Float32Array(outLength);
  const step = from / to;
  // Cut-off relative to the input rate: 1 when upsampling, to/from when downsampling.
  const cutoff = Math.min(1, to / from) * ROLLOFF;
  const reach = KERNEL_HALF_WIDTH / cutoff;
  for (let i = 0; i < outLength; i++) {
    const t = i * step;
    const first = Math.max(0, Math.ceil(t - reach));
    const last = Math.min(pcm.length - 1, Math.floor(t + reach));
    let acc = 0;
    for (let j = first; j <= last; j++) {
      const pos = Math.abs(t - j) * cutoff * KERNEL_STEPS;
      const k = Math.floor(pos);
      if (k >= table.length - 1) continue;
      const frac = pos - k;
      acc += pcm[j]! * (table[k]! + (table[k + 1]! - table[k]!) * frac);
    }
    out[i] = acc * cutoff;
  }
  return out;
}

/** Milliseconds of audio in `samples` samples at `sampleRate` Hz. */
export function durationMs(samples: number, sampleRate: number): number {
  return (samples * 1000) / sampleRate;
}
