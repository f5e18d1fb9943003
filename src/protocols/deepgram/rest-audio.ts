/**
 * The audio of a Deepgram REST Speak response, as its query asked (rest-query.ts): the turn's
 * 24 kHz chunks resampled to the requested rate and encoded, chunk by chunk, so the first
 * bytes leave before the text is done (Deepgram streams its REST response too).
 *
 *   linear16 / mulaw / alaw   the socket's encoding (audio.ts), in a streaming WAV (sizes "until
 *                             EOF", as the OpenAI wav) or bare with `container=none`
 *   mp3                       lamejs at 22.05 kHz and the requested bit rate
 *   opus                      Ogg Opus (libopus), decoded at 48 kHz as every Ogg Opus is
 *   flac                      libFLAC at the requested rate
 *
 * Resampling chunk by chunk carries no state across chunks: each is a phrase that starts and
 * ends in near-silence (audio.ts says the same for the socket).
 */
import { resample } from '../../common/audio.ts';
import { OUTPUT_SAMPLE_RATE } from '../../gateway/context.ts';
import { createFlacEncoder } from '../../gateway/encoders/flac.ts';
import { createMp3Encoder } from '../../gateway/encoders/mp3.ts';
import { createOpusEncoder } from '../../gateway/encoders/opus.ts';
import type { AudioEncoder } from '../../gateway/encoders/types.ts';
import { encodeChunk } from './audio.ts';
import type { RestSpeakSettings } from './rest-query.ts';

const UNKNOWN_SIZE = 0xffffffff;
/** WAVE format tags (RFC 2361). */
const FORMAT_TAG = { linear16: 1, alaw: 6, mulaw: 7 } as const;

/** A streaming WAV header for s16 or 8-bit G.711 mono: sizes unknown, read "until EOF". */
function wavHeader(encoding: 'linear16' | 'mulaw' | 'alaw', sampleRate: number): Buffer {
  const bytesPerSample = encoding === 'linear16' ? 2 : 1;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(UNKNOWN_SIZE, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(FORMAT_TAG[encoding], 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * bytesPerSample, 28);
  h.writeUInt16LE(bytesPerSample, 32);
  h.writeUInt16LE(bytesPerSample * 8, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(UNKNOWN_SIZE, 40);
  return h;
}

const CONTENT_TYPES = { linear16: 'audio/l16', mulaw: 'audio/basic', alaw: 'audio/x-alaw-basic' } as const;

function g711OrPcm(s: RestSpeakSettings & { encoding: 'linear16' | 'mulaw' | 'alaw' }): AudioEncoder {
  let header: Buffer | null = s.container === 'wav' ? wavHeader(s.encoding, s.sampleRate) : null;
  const withHeader = (bytes: Buffer): Buffer => {
    if (header === null) return bytes;
    const out = Buffer.concat([header, bytes]);
    header = null;
    return out;
  };
  return {
    contentType: s.container === 'wav' ? 'audio/wav' : CONTENT_TYPES[s.encoding],
    encode: (pcm) => withHeader(encodeChunk(pcm, s.encoding, s.sampleRate)),
    finish: () => withHeader(Buffer.alloc(0)),
    close: () => undefined,
  };
}

/** `inner` fed at `rate` instead of the output rate. */
function resampled(inner: AudioEncoder, rate: number): AudioEncoder {
  return {
    contentType: inner.contentType,
    encode: (pcm) => inner.encode(rate === OUTPUT_SAMPLE_RATE ? pcm : resample(pcm, OUTPUT_SAMPLE_RATE, rate)),
    finish: () => inner.finish(),
    close: () => inner.close(),
  };
}

export async function createRestEncoder(s: RestSpeakSettings): Promise<AudioEncoder> {
  switch (s.encoding) {
    case 'linear16':
    case 'mulaw':
    case 'alaw':
      return g711OrPcm({ ...s, encoding: s.encoding });
    case 'mp3':
      return resampled(createMp3Encoder(s.sampleRate, Math.round((s.bitRate ?? 48000) / 1000)), s.sampleRate);
    case 'opus': {
      const ogg = createOpusEncoder(OUTPUT_SAMPLE_RATE, s.bitRate);
      return { ...ogg, contentType: 'audio/ogg', encode: (pcm) => ogg.encode(pcm), finish: () => ogg.finish(), close: () => ogg.close() };
    }
    case 'flac':
      return resampled(await createFlacEncoder(s.sampleRate), s.sampleRate);
    case 'aac':
      // rest-query.ts refuses aac before an encoder is asked for.
      throw new Error('aac has no encoder');
  }
}
