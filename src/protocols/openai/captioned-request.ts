/**
 * Validation of POST /dev/captioned_speech bodies, Kokoro-FastAPI's CaptionedSpeechRequest:
 * the speech fields as POST /v1/audio/speech checks them (request.ts; `model` may be left out
 * and defaults to `kokoro`), plus `stream` (default true) and `return_timestamps` (default
 * true). Fields this host does not implement are refused when they would change the result
 * (`return_download_link: true`, a `volume_multiplier` other than 1) and accepted otherwise
 * (`lang_code`: the voice decides the language; `normalization_options`: the host's own
 * normalization applies).
 */
import { ApiError } from '../../gateway/http-errors.ts';
import { parseSpeechRequest, type SpeechParams } from './request.ts';

export interface CaptionedParams extends SpeechParams {
  stream: boolean;
  returnTimestamps: boolean;
}

function field(body: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(body, name) ? body[name] : undefined;
}

function flag(body: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = field(body, name) ?? fallback;
  if (typeof value !== 'boolean') throw new ApiError('invalid_request', `${name} must be a boolean`, name);
  return value;
}

export function parseCaptionedRequest(body: unknown, maxInputChars: number): CaptionedParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('invalid_request', 'the body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const speech = parseSpeechRequest(
    { model: field(b, 'model') ?? 'kokoro', input: field(b, 'input'), voice: field(b, 'voice'), response_format: field(b, 'response_format'), speed: field(b, 'speed') },
    maxInputChars,
  );
  const stream = flag(b, 'stream', true);
  const returnTimestamps = flag(b, 'return_timestamps', true);
  if (flag(b, 'return_download_link', false)) {
    throw new ApiError('invalid_request', 'return_download_link is not supported by this host: the audio is in the response', 'return_download_link');
  }
  const volume = field(b, 'volume_multiplier') ?? 1;
  if (volume !== 1 && volume !== null) {
    throw new ApiError('invalid_request', 'volume_multiplier is not supported by this host (only 1)', 'volume_multiplier');
  }
  const lang = field(b, 'lang_code') ?? null;
  if (lang !== null && typeof lang !== 'string') throw new ApiError('invalid_request', 'lang_code must be a string', 'lang_code');
  return { ...speech, stream, returnTimestamps };
}
