/**
 * Phonemes in, phonemes out, Kokoro-FastAPI compatible:
 *
 *   POST /v1/phonemize, /dev/phonemize     {text, language?: "a"|"b"|"en-us"|"en-gb"}  -> {phonemes, tokens}
 *   POST /dev/generate_from_phonemes       {phonemes, voice, speed?}                  -> audio/wav
 *
 * Phonemizing runs on the Phonemizer's thread (src/pronunciation/phonemizer.ts), with the
 * same reading synthesis does: text hygiene, inline markup, the user's lexicon, the English
 * pre-normaliser.
 * Generating from phonemes is the speech route with `input_type: "phonemes"`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../gateway/context.ts';
import { ApiError } from '../../gateway/http-errors.ts';
import { DEV_GENERATE_FROM_PHONEMES_PATH, DEV_PHONEMIZE_PATH, PHONEMIZE_PATH } from '../../gateway/route-paths.ts';
import { checkMarkup, MarkupError } from '../../pronunciation/check-markup.ts';
import { cleanText } from '../../pronunciation/hygiene.ts';
import type { Phonemizer } from '../../pronunciation/phonemizer.ts';
import { phonemeTokenIds } from '../../pronunciation/vocab.ts';
import { parseSpeechRequest } from './request.ts';
import { serveSpeech } from './route.ts';

/** The languages served today and a voice of each, whose reading the phonemes follow. */
const LANGUAGE_VOICES: Readonly<Record<string, string>> = { a: 'af_heart', 'en-us': 'af_heart', en: 'af_heart', b: 'bf_emma', 'en-gb': 'bf_emma' };

function body(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new ApiError('invalid_request', 'the body must be a JSON object');
  return b as Record<string, unknown>;
}

export function registerPhonemeRoutes(app: FastifyInstance, ctx: GatewayContext, phonemizer: Phonemizer): void {
  const phonemize = async (request: FastifyRequest) => {
    const b = body(request);
    const text = b.text;
    if (typeof text !== 'string') throw new ApiError('invalid_request', 'text is required (a string)', 'text');
    if (text.trim() === '') throw new ApiError('empty_text', 'text is empty', 'text');
    if (text.length > ctx.config.maxInputChars) throw new ApiError('text_too_long', `text is ${text.length} characters; the limit is ${ctx.config.maxInputChars}`, 'text');
    const language = b.language ?? 'a';
    const voice = typeof language === 'string' ? LANGUAGE_VOICES[language.toLowerCase()] : undefined;
    if (voice === undefined) throw new ApiError('invalid_request', `language must be one of ${Object.keys(LANGUAGE_VOICES).join(', ')}`, 'language');
    try {
      checkMarkup(text);
    } catch (err) {
      if (err instanceof MarkupError) throw new ApiError('invalid_markup', err.message, 'text');
      throw err;
    }
    const clean = cleanText(text);
    const phonemes = await phonemizer.phonemize(ctx.lexicon?.apply(clean, voice) ?? clean, voice);
    return { phonemes, tokens: phonemeTokenIds(phonemes) };
  };
  app.post(PHONEMIZE_PATH, phonemize);
  app.post(DEV_PHONEMIZE_PATH, phonemize);

  app.post(DEV_GENERATE_FROM_PHONEMES_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const b = body(request);
    if (typeof b.phonemes !== 'string') throw new ApiError('invalid_request', 'phonemes is required (a string)', 'phonemes');
    const params = parseSpeechRequest({ model: 'kokoro', input: b.phonemes, voice: b.voice, speed: b.speed ?? 1, response_format: 'wav', input_type: 'phonemes' }, ctx.config.maxInputChars);
    return serveSpeech(ctx, params, request, reply);
  });
}
