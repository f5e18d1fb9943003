/**
 * POST /v1/audio/speech, OpenAI compatible: audio streamed in the requested format as
 * chunks complete (chunked transfer), or as Server-Sent Events with `stream_format: "sse"`
 * (with word timing events when `return_timestamps` is true, sse-framing.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from '../../gateway/context.ts';
import { rawFraming } from '../../gateway/http-speech/framing.ts';
import { admitSpeech, respondWithSpeech } from '../../gateway/http-speech/respond.ts';
import { SPEECH_PATH } from '../../gateway/route-paths.ts';
import { createEncoder } from './encoders/index.ts';
import { parseSpeechRequest, type SpeechParams } from './request.ts';
import { sseFraming } from './sse-framing.ts';

export function registerSpeechRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.post(SPEECH_PATH, async (request: FastifyRequest, reply: FastifyReply) => serveSpeech(ctx, parseSpeechRequest(request.body, ctx.config.maxInputChars), request, reply));
}

/** One validated speech request, answered: audio streamed as chunks complete, or a coded error (also the phoneme routes' way out). */
export async function serveSpeech(ctx: GatewayContext, params: SpeechParams, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  admitSpeech(ctx);
  const encoder = await createEncoder(params.format, OUTPUT_SAMPLE_RATE);
  const framing = params.streamFormat === 'sse' ? sseFraming(params.timestamps) : rawFraming(encoder.contentType);
  return respondWithSpeech(ctx, request, reply, {
    input: params,
    inputParam: 'input',
    encoder,
    framing,
    headers: { 'x-kokoro-voice': params.voice, 'x-kokoro-speed': String(params.speed) },
  });
}
