/**
 * A turn's audio in the session's `output_format`: raw PCM layouts phrase by phrase
 * (src/common/raw-pcm.ts), MP3 with one lamejs encoder per turn so the frames of a turn
 * form one continuous stream; its tail (the encoder's last frames) goes out before the
 * context's isFinal.
 */
import { Mp3Encoder } from '@breezystack/lamejs';
import { floatToS16le, resample } from '../../common/audio.ts';
import { encodeRaw } from '../../common/raw-pcm.ts';
import { OUTPUT_SAMPLE_RATE } from '../../gateway/context.ts';
import type { OutputFormat } from './settings.ts';

export interface TurnEncoder {
  /** One phrase at OUTPUT_SAMPLE_RATE -> bytes of the output format. */
  encode(pcm: Float32Array): Buffer;
  /** What the encoder still holds (MP3's last frames); empty for raw formats. */
  finish(): Buffer;
}

function int16Of(pcm: Float32Array, rate: number): Int16Array {
  const at = rate === OUTPUT_SAMPLE_RATE ? pcm : resample(pcm, OUTPUT_SAMPLE_RATE, rate);
  const s16 = floatToS16le(at);
  return new Int16Array(s16.buffer, s16.byteOffset, s16.byteLength / 2);
}

function copy(out: Int8Array | Uint8Array): Buffer {
  // lamejs reuses its output buffer between calls.
  return Buffer.from(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
}

export function createTurnEncoder(format: OutputFormat): TurnEncoder {
  if (format.kind !== 'mp3') {
    const encoding = format.kind === 'pcm' ? 's16le' : format.kind === 'ulaw' ? 'mulaw' : 'alaw';
    return { encode: (pcm) => encodeRaw(pcm, OUTPUT_SAMPLE_RATE, format.sampleRate, encoding), finish: () => Buffer.alloc(0) };
  }
  let mp3: Mp3Encoder | undefined;
  return {
    encode(pcm) {
      mp3 ??= new Mp3Encoder(1, format.sampleRate, format.kbps);
      return pcm.length === 0 ? Buffer.alloc(0) : copy(mp3.encodeBuffer(int16Of(pcm, format.sampleRate)));
    },
    finish() {
      const tail = mp3 === undefined ? Buffer.alloc(0) : copy(mp3.flush());
      mp3 = undefined;
      return tail;
    },
  };
}
