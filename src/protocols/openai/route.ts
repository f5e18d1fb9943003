/**
 * POST /v1/audio/speech, OpenAI compatible: audio streamed in the requested format as
 * chunks complete (chunked transfer), or as Server-Sent Events with `stream_format: "sse"`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from '../../gateway/context.ts';
import { createEncoder } from './encoders/index.ts';
import { ApiError } from '../../gateway/http-errors.ts';
import { SPEECH_PATH } from '../../gateway/route-paths.ts';
import { parseSpeechRequest, type SpeechParams } from './request.ts';
import { SpeechStream } from './stream.ts';

export function registerSpeechRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.post(SPEECH_PATH, async (request: FastifyRequest, reply: FastifyReply) => serveSpeech(ctx, parseSpeechRequest(request.body, ctx.config.maxInputChars), request, reply));
}

/** One validated speech request, answered: audio streamed as chunks complete, or a coded error. */
export async function serveSpeech(ctx: GatewayContext, params: SpeechParams, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  {
    if (ctx.lifecycle.shuttingDown) throw new ApiError('shutting_down', 'the host is shutting down');
    const health = ctx.pool.health();
    if (health.queueDepth >= ctx.config.maxQueue) {
      throw new ApiError('overloaded', 'the synthesis queue is full; retry shortly');
    }

    const encoder = await createEncoder(params.format, OUTPUT_SAMPLE_RATE);
    const stream = new SpeechStream(ctx, params, `http:${request.id}`, encoder, request.log);
    ctx.lifecycle.add(stream);
    // 'close' on the response fires after a normal end, and when the client disconnects.
    reply.raw.on('close', () => stream.responseClosed());
    stream.start();

    const first = await stream.first;
    if (first.kind === 'aborted') {
      // Nobody is listening (client gone or host stopping): there is no one to answer.
      reply.hijack();
      reply.raw.destroy();
      return reply;
    }
    if (first.kind === 'failed' && first.failures === 0) {
      throw new ApiError('empty_text', 'the input has nothing to speak', 'input');
    }
    if (first.kind === 'failed') {
      throw new ApiError('tts_all_failed', `every chunk of the input failed (${first.failures})`, null, first.transient ? 503 : 500);
    }
    reply
      .code(200)
      .header('content-type', params.streamFormat === 'sse' ? 'text/event-stream' : encoder.contentType)
      .header('cache-control', 'no-store')
      .header('x-request-id', request.id)
      .header('x-kokoro-voice', params.voice)
      .header('x-kokoro-speed', String(params.speed));
    return reply.send(stream.body);
  }
}
