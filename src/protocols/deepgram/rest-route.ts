/**
 * POST /v1/speak: Deepgram's REST Speak, for clients that synthesize a whole text at once
 * (the @deepgram/sdk `speak.v1.audio.generate`, Deepgram's REST examples) pointed at this
 * host. Query as rest-query.ts reads it, body `{ "text": "..." }`, the audio streamed as the
 * turn's chunks complete (http-speech/respond.ts). Auth is the socket's: `Authorization:
 * Token <key>` (or Bearer).
 *
 * Errors are Deepgram's REST shape, `{ err_code, err_msg, request_id }`, with the catalogue
 * code as `err_code` (as the socket's Error frames carry it) and the `dg-error` header, for
 * every fault of this route: a bad query, a malformed or non-JSON body, empty or oversize
 * text, a full queue. A 401 comes from the host-wide auth hook in the OpenAI shape.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, TtsError, type ErrorCode } from '../../errors.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import { rawFraming } from '../../gateway/http-speech/framing.ts';
import { admitSpeech, respondWithSpeech } from '../../gateway/http-speech/respond.ts';
import { ApiError } from '../../gateway/http-errors.ts';
import { DEEPGRAM_PATH } from '../../gateway/route-paths.ts';
import { createRestEncoder } from './rest-audio.ts';
import { parseRestSpeakQuery } from './rest-query.ts';

function parseText(body: unknown, maxChars: number): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError('invalid_request', 'the body must be a JSON object { "text": "..." }');
  const text = Object.hasOwn(body, 'text') ? (body as { text: unknown }).text : undefined;
  if (text === undefined && Object.hasOwn(body, 'url')) throw new ApiError('invalid_request', 'a text URL is not supported by this host: send { "text": "..." }', 'url');
  if (typeof text !== 'string') throw new ApiError('invalid_request', 'text is required (a string)', 'text');
  if (text.trim() === '') throw new ApiError('empty_text', 'text is empty', 'text');
  if (text.length > maxChars) throw new ApiError('text_too_long', `text is ${text.length} characters; the limit is ${maxChars}`, 'text');
  return text;
}

/** Any error of this route as Deepgram's REST error body; 5xx say nothing of the host's insides. */
function deepgramError(err: FastifyError | TtsError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let code: ErrorCode;
  let status: number;
  let message: string;
  if (err instanceof TtsError) {
    code = err.code;
    status = err.statusCode;
    message = status >= 500 && code === 'internal' ? 'internal error' : err.message;
  } else {
    status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    code = status < 500 ? 'invalid_request' : 'internal';
    message = status < 500 ? (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'the request body is not valid JSON' : (err.message.split('\n')[0] ?? 'bad request')) : 'internal error';
  }
  if (status >= 500) request.log.error({ err, code }, 'deepgram speak failed');
  else request.log.info({ code, status }, 'deepgram speak rejected');
  if (ERROR_CATALOGUE[code].retryable) reply.header('retry-after', '1');
  reply.header('dg-request-id', request.id).header('dg-error', message.slice(0, 300).replace(/[^\x20-\x7e]/g, '?'));
  return reply.code(status).type('application/json').send({ err_code: code, err_msg: message, request_id: request.id });
}

export function registerDeepgramRestRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.route({
    method: 'POST',
    url: DEEPGRAM_PATH,
    errorHandler: deepgramError,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const query = parseRestSpeakQuery((request.query ?? {}) as Record<string, unknown>);
      if (!query.ok) throw new ApiError(query.fault.code, query.fault.message, query.fault.param);
      const text = parseText(request.body, ctx.config.maxInputChars);
      admitSpeech(ctx);
      const s = query.settings;
      const encoder = await createRestEncoder(s);
      return respondWithSpeech(ctx, request, reply, {
        input: { input: text, voice: s.voice, speed: s.speed, format: `deepgram-${s.encoding}` },
        inputParam: 'text',
        encoder,
        framing: rawFraming(encoder.contentType),
        headers: { 'dg-request-id': request.id, 'dg-model-name': s.model, 'dg-char-count': String(text.length) },
      });
    },
  });
}
