/**
 * One HTTP speech request answered from a turn, for every HTTP protocol (OpenAI speech,
 * captioned speech, Deepgram REST): admission (a stopping host, a full queue), the stream
 * and its owner (the lifecycle, until the response closes), and the status decided by the
 * first thing that decides it. Errors are thrown as ApiError: each route's error handler
 * writes them in its protocol's shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.ts';
import type { AudioEncoder } from '../encoders/types.ts';
import { ApiError } from '../http-errors.ts';
import type { SpeechFraming } from './framing.ts';
import { SpeechStream, type SpeechInput } from './stream.ts';

/** Refuses work the host cannot take now: nothing is queued. */
export function admitSpeech(ctx: GatewayContext): void {
  if (ctx.lifecycle.shuttingDown) throw new ApiError('shutting_down', 'the host is shutting down');
  if (ctx.pool.health().queueDepth >= ctx.config.maxQueue) {
    throw new ApiError('overloaded', 'the synthesis queue is full; retry shortly');
  }
}

export interface SpeechResponse {
  input: SpeechInput;
  /** The request field holding the text (named in `empty_text`). */
  inputParam: string;
  encoder: AudioEncoder;
  framing: SpeechFraming;
  headers: Record<string, string>;
}

export async function respondWithSpeech(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply, r: SpeechResponse): Promise<FastifyReply> {
  const stream = new SpeechStream(ctx, r.input, `http:${request.id}`, r.encoder, r.framing, request.log);
  ctx.lifecycle.add(stream);
  // 'close' on the response fires after a normal end, and when the client disconnects.
  reply.raw.on('close', () => stream.responseClosed());
  stream.start();

  const first = await stream.first;
  switch (first.kind) {
    case 'aborted':
      // Nobody is listening (client gone or host stopping): there is no one to answer.
      reply.hijack();
      reply.raw.destroy();
      return reply;
    case 'refused':
      throw first.error;
    case 'failed':
      if (first.failures === 0) throw new ApiError('empty_text', 'the input has nothing to speak', r.inputParam);
      throw new ApiError('tts_all_failed', `every chunk of the input failed (${first.failures})`, null, first.transient ? 503 : 500);
    case 'audio':
      break;
  }
  reply.code(200).header('content-type', r.framing.contentType).header('cache-control', 'no-store').header('x-request-id', request.id);
  for (const [name, value] of Object.entries(r.headers)) reply.header(name, value);
  return reply.send(stream.body);
}
