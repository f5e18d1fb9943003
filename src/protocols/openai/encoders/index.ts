/**
 * The encoder for an OpenAI `response_format`. AAC has no well-kept pure-JS or wasm
 * encoder on npm, so it is refused with `invalid_format` rather than faked.
 */
import { ApiError } from '../../../gateway/http-errors.ts';
import { createFlacEncoder } from '../../../gateway/encoders/flac.ts';
import { createMp3Encoder } from '../../../gateway/encoders/mp3.ts';
import { createOpusEncoder } from '../../../gateway/encoders/opus.ts';
import { createPcmEncoder, createWavEncoder } from '../../../gateway/encoders/pcm.ts';
import type { AudioEncoder } from '../../../gateway/encoders/types.ts';

export type { AudioEncoder } from '../../../gateway/encoders/types.ts';

export const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
export type SpeechFormat = (typeof SPEECH_FORMATS)[number];

export const AAC_UNSUPPORTED =
  'response_format "aac" is not supported by this host: there is no maintained pure-JS/wasm AAC encoder; use mp3, opus, flac, wav or pcm';

/** Throws `invalid_format` for formats the host cannot encode (aac). */
export function assertEncodable(format: SpeechFormat): void {
  if (format === 'aac') throw new ApiError('invalid_format', AAC_UNSUPPORTED, 'response_format');
}

/** The response formats POST /v1/audio/speech really encodes (aac is refused there); the playground offers these. */
export function encodableFormats(): SpeechFormat[] {
  return SPEECH_FORMATS.filter((format) => {
    try {
      assertEncodable(format);
      return true;
    } catch {
      return false;
    }
  });
}

export async function createEncoder(format: SpeechFormat, sampleRate: 24000): Promise<AudioEncoder> {
  switch (format) {
    case 'pcm':
      return createPcmEncoder();
    case 'wav':
      return createWavEncoder(sampleRate);
    case 'mp3':
      return createMp3Encoder(sampleRate);
    case 'opus':
      return createOpusEncoder(sampleRate);
    case 'flac':
      return createFlacEncoder(sampleRate);
    case 'aac':
      throw new ApiError('invalid_format', AAC_UNSUPPORTED, 'response_format');
  }
}
