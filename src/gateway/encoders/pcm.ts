/** Raw 16-bit little-endian mono PCM at 24 kHz (OpenAI's `pcm`) and a streaming WAV of the same. */
import { floatToS16le, wavHeader } from '../../common/audio.ts';
import type { AudioEncoder } from './types.ts';

export function createPcmEncoder(): AudioEncoder {
  return {
    contentType: 'audio/pcm',
    encode: (pcm) => floatToS16le(pcm),
    finish: () => Buffer.alloc(0),
    close: () => undefined,
  };
}

/**
 * WAV whose header is written before the length is known: the RIFF and data sizes are
 * the streaming placeholder (0xFFFFFFFF), which players and decoders read as "until EOF".
 */
export function createWavEncoder(sampleRate: number): AudioEncoder {
  let headerSent = false;
  return {
    contentType: 'audio/wav',
    encode(pcm) {
      const data = floatToS16le(pcm);
      if (headerSent) return data;
      headerSent = true;
      return Buffer.concat([header(sampleRate), data]);
    },
    finish: () => (headerSent ? Buffer.alloc(0) : ((headerSent = true), header(sampleRate))),
    close: () => undefined,
  };
}

function header(sampleRate: number): Buffer {
  return wavHeader({ sampleRate, channels: 1, bitsPerSample: 16, format: 'pcm', dataBytes: null });
}
