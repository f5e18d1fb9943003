/**
 * POST /dev/captioned_speech, compatible with Kokoro-FastAPI's: the audio in the requested
 * format, base64, with word timestamps, as one JSON document or streamed as JSON lines
 * (captioned-framing.ts says which bytes each is). Errors are OpenAI-style bodies with
 * catalogue codes, like POST /v1/audio/speech.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from '../../gateway/context.ts';
import { admitSpeech, respondWithSpeech } from '../../gateway/http-speech/respond.ts';
import { CAPTIONED_SPEECH_PATH } from '../../gateway/route-paths.ts';
import { captionDocumentFraming, captionLinesFraming } from './captioned-framing.ts';
import { parseCaptionedRequest } from './captioned-request.ts';
import { createEncoder } from './encoders/index.ts';

export function registerCaptionedSpeechRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.post(CAPTIONED_SPEECH_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const params = parseCaptionedRequest(request.body, ctx.config.maxInputChars);
    admitSpeech(ctx);
    const encoder = await createEncoder(params.format, OUTPUT_SAMPLE_RATE);
    const make = params.stream ? captionLinesFraming : captionDocumentFraming;
    return respondWithSpeech(ctx, request, reply, {
      input: { ...params, timestamps: params.returnTimestamps },
      inputParam: 'input',
      encoder,
      framing: make(encoder.contentType, params.returnTimestamps),
      headers: {
        'content-disposition': `attachment; filename=speech.${params.format}`,
        'x-kokoro-voice': params.voice,
        'x-kokoro-speed': String(params.speed),
      },
    });
  });
}
