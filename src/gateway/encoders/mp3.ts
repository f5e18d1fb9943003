/** MP3 (MPEG-2 layer III, mono, CBR; 64 kbps unless told) with lamejs, frame by frame. */
import { Mp3Encoder } from '@breezystack/lamejs';
import { toInt16, type AudioEncoder } from './types.ts';

const KBPS = 64;

function bytes(out: Int8Array | Uint8Array): Buffer {
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export function createMp3Encoder(sampleRate: number, kbps: number = KBPS): AudioEncoder {
  let encoder: Mp3Encoder | null = new Mp3Encoder(1, sampleRate, kbps);
  return {
    contentType: 'audio/mpeg',
    encode(pcm) {
      if (encoder === null || pcm.length === 0) return Buffer.alloc(0);
      // lamejs reuses its output buffer between calls: copy before the next one.
      return Buffer.from(bytes(encoder.encodeBuffer(toInt16(pcm, new Int16Array(pcm.length)))));
    },
    finish() {
      if (encoder === null) return Buffer.alloc(0);
      const tail = Buffer.from(bytes(encoder.flush()));
      encoder = null;
      return tail;
    },
    close() {
      encoder = null;
    },
  };
}
