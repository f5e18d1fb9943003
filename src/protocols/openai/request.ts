/**
 * Validation of POST /v1/audio/speech bodies, field by field, so each bad input gets
 * its own catalogue code and names its `param` the way OpenAI's errors do.
 *
 * Speed: OpenAI's range 0.25–4.0 is accepted; Kokoro sounds right only within 0.5–2.0,
 * so values outside that are clamped, and the applied speed is returned in the
 * `x-kokoro-speed` response header. Outside 0.25–4.0 is `invalid_speed`.
 */
import { parseLanguage, type Language } from '../../shared/languages.ts';
import { DEFAULT_VOICE, resolveVoiceName } from '../../shared/voices.ts';
import { assertEncodable, SPEECH_FORMATS, type SpeechFormat } from './encoders/index.ts';
import { ApiError } from '../../gateway/http-errors.ts';
import { SPEECH_MODELS } from '../../gateway/voices-route.ts';
import { KOKORO_SPEED_RANGE } from '../../gateway/turn/turn.ts';
import { INPUT_TYPES, InputError, speechRuns, type InputType } from '../../pronunciation/speech-input.ts';
import type { SsmlRun } from '../../pronunciation/ssml.ts';

export const OPENAI_SPEED_RANGE = [0.25, 4] as const;

export interface SpeechParams {
  model: string;
  input: string;
  /** The host's voice string (OpenAI names already mapped). */
  voice: string;
  format: SpeechFormat;
  /** The speed applied (clamped into Kokoro's range). */
  speed: number;
  requestedSpeed: number;
  streamFormat: 'audio' | 'sse';
  /** Word timing events in the SSE stream (a host extension; needs `stream_format: "sse"`). */
  timestamps: boolean;
  /** The input as the turn takes it: inline-markup text in runs of one rate (SSML prosody), src/pronunciation/. */
  runs: SsmlRun[];
  /** `lang` (or Kokoro-FastAPI's `lang_code`); undefined: the language of the (first) voice. */
  lang?: Language;
}

function field(body: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(body, name) ? body[name] : undefined;
}

export function parseSpeechRequest(body: unknown, maxInputChars: number): SpeechParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('invalid_request', 'the body must be a JSON object');
  }
  const b = body as Record<string, unknown>;

  const model = field(b, 'model');
  if (typeof model !== 'string') throw new ApiError('invalid_request', 'model is required (a string)', 'model');
  if (!(SPEECH_MODELS as readonly string[]).includes(model)) {
    throw new ApiError('invalid_request', `model must be one of ${SPEECH_MODELS.join(', ')}`, 'model');
  }

  const input = field(b, 'input');
  if (typeof input !== 'string') throw new ApiError('invalid_request', 'input is required (a string)', 'input');
  if (input.trim() === '') throw new ApiError('empty_text', 'input is empty', 'input');
  if (input.length > maxInputChars) {
    throw new ApiError('text_too_long', `input is ${input.length} characters; the limit is ${maxInputChars}`, 'input');
  }

  const rawVoice = field(b, 'voice') ?? DEFAULT_VOICE;
  const voice = resolveVoiceName(rawVoice);
  if (voice === null) throw new ApiError('invalid_voice', 'unknown voice; GET /v1/audio/voices lists the voices', 'voice');

  const rawFormat = field(b, 'response_format') ?? 'mp3';
  if (typeof rawFormat !== 'string' || !(SPEECH_FORMATS as readonly string[]).includes(rawFormat)) {
    throw new ApiError('invalid_format', `response_format must be one of ${SPEECH_FORMATS.join(', ')}`, 'response_format');
  }
  const format = rawFormat as SpeechFormat;
  assertEncodable(format);

  const rawSpeed = field(b, 'speed') ?? 1;
  if (typeof rawSpeed !== 'number' || !Number.isFinite(rawSpeed) || rawSpeed < OPENAI_SPEED_RANGE[0] || rawSpeed > OPENAI_SPEED_RANGE[1]) {
    throw new ApiError('invalid_speed', `speed must be a number between ${OPENAI_SPEED_RANGE[0]} and ${OPENAI_SPEED_RANGE[1]}`, 'speed');
  }
  const speed = Math.min(KOKORO_SPEED_RANGE[1], Math.max(KOKORO_SPEED_RANGE[0], rawSpeed));

  const streamFormat = field(b, 'stream_format') ?? 'audio';
  if (streamFormat !== 'audio' && streamFormat !== 'sse') {
    throw new ApiError('invalid_request', 'stream_format must be "audio" or "sse"', 'stream_format');
  }

  const timestamps = field(b, 'return_timestamps') ?? false;
  if (typeof timestamps !== 'boolean') throw new ApiError('invalid_request', 'return_timestamps must be a boolean', 'return_timestamps');
  if (timestamps && streamFormat !== 'sse') {
    throw new ApiError('invalid_request', 'return_timestamps needs stream_format "sse" (or POST /dev/captioned_speech)', 'return_timestamps');
  }

  const inputType = field(b, 'input_type') ?? 'text';
  if (typeof inputType !== 'string' || !(INPUT_TYPES as readonly string[]).includes(inputType)) {
    throw new ApiError('invalid_request', `input_type must be one of ${INPUT_TYPES.join(', ')}`, 'input_type');
  }
  let runs: SsmlRun[];
  try {
    runs = speechRuns(input, inputType as InputType);
  } catch (err) {
    if (err instanceof InputError) throw new ApiError(err.code, err.message, 'input');
    throw err;
  }
  if (runs.length === 0) throw new ApiError('empty_text', 'input has nothing to speak', 'input');

  // Kokoro-FastAPI names it lang_code; both are accepted, `lang` wins when both are sent.
  const langParam = field(b, 'lang') !== undefined ? 'lang' : 'lang_code';
  const rawLang = field(b, langParam);
  let lang: Language | undefined;
  if (rawLang !== undefined && rawLang !== null) {
    const parsed = parseLanguage(rawLang);
    if (!parsed.ok) throw new ApiError('invalid_lang', parsed.message, langParam);
    lang = parsed.lang;
  }

  return { model, input, voice, format, speed, requestedSpeed: rawSpeed, streamFormat, timestamps, runs, ...(lang !== undefined ? { lang } : {}) };
}
