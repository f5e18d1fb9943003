/**
 * Every HTTP error leaves as an OpenAI-style body, `{ error: { message, type, param, code } }`,
 * from one error handler. 5xx bodies carry a generic message: no stack, no file path,
 * no upstream detail. The `code` is a catalogue code (src/errors.ts).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, TtsError, type ErrorCode } from '../errors.ts';

/** A catalogue error that names the request field at fault and may override the status. */
export class ApiError extends TtsError {
  readonly param: string | null;
  constructor(code: ErrorCode, message: string, param: string | null = null, status?: number) {
    super(code, message);
    this.param = param;
    if (status !== undefined) (this as { statusCode: number }).statusCode = status;
  }
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function errorBody(status: number, code: string, message: string, param: string | null = null): OpenAiErrorBody {
  return { error: { message, type: errorType(status), param, code } };
}

/** Send an error reply directly (hooks, where throwing would be slower and noisier). */
export function sendError(reply: FastifyReply, code: ErrorCode, message: string, status: number = ERROR_CATALOGUE[code].status): FastifyReply {
  return reply.code(status).type('application/json').send(errorBody(status, code, message));
}

/** Fastify's own errors (body parsing, limits) mapped to catalogue codes. */
function fromFastifyError(err: FastifyError): { status: number; code: ErrorCode; message: string } {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'invalid_request', message: 'the request body is larger than the host accepts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'invalid_request', message: 'the body must be application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_request', message: 'the request body is empty' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'invalid_request', message: 'the request body is not valid JSON' };
    default:
      break;
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Client errors from Fastify (bad JSON and the like) say what is wrong, never where in our code.
    return { status, code: 'invalid_request', message: err.message.split('\n')[0] ?? 'bad request' };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | TtsError, request: FastifyRequest, reply: FastifyReply) => {
    let status: number;
    let body: OpenAiErrorBody;
    if (err instanceof TtsError) {
      status = err.statusCode;
      const message = status >= 500 && err.code === 'internal' ? 'internal error' : err.message;
      body = errorBody(status, err.code, message, err instanceof ApiError ? err.param : null);
    } else {
      const mapped = fromFastifyError(err);
      status = mapped.status;
      body = errorBody(status, mapped.code, mapped.message);
    }
    if (status >= 500) request.log.error({ err, code: body.error.code }, 'request failed');
    else request.log.info({ code: body.error.code, status }, 'request rejected');
    if (status === 503) reply.header('retry-after', '1');
    return reply.code(status).type('application/json').send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    return reply.code(404).send(errorBody(404, 'invalid_request', `no route for ${request.method} ${path}`));
  });
}
