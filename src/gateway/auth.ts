/**
 * Optional bearer-token auth (KOKORO_API_KEY). When set, every route except the probes
 * and /metrics needs `Authorization: Bearer <key>`. A route whose clients present the key
 * their own way (the native socket's `bearer, <key>` subprotocol and `?api_key=`, Deepgram's
 * `Token` header and subprotocol, ElevenLabs' `xi-api-key`, Cartesia's `X-API-Key`) passes a KeyReader for its path: app.ts wires the
 * protocols' readers in, so this module knows none of them. The playground's page itself
 * (`/`, `/web/*`, route-paths.ts) is public: it holds no data, and a browser cannot present
 * a bearer token when it loads a page.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-errors.ts';
import { isWebPagePath, UNAUTHENTICATED_PATHS } from './route-paths.ts';

/** How a route's clients present the key besides `Authorization: Bearer`. */
export type KeyReader = (request: FastifyRequest) => string | undefined;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time comparison of a presented key with the configured one. */
export function keyMatches(presented: string | undefined, expected: Buffer): boolean {
  return presented !== undefined && timingSafeEqual(digest(presented), expected);
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** The KeyReader of a request path, if its route has one (paths with parameters are matched by the caller). */
export type KeyReaders = (path: string) => KeyReader | undefined;

export function registerAuth(app: FastifyInstance, apiKey: string | undefined, readers: KeyReaders = () => undefined): void {
  if (apiKey === undefined || apiKey === '') return;
  const expected = digest(apiKey);
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const path = request.url.split('?')[0] ?? '';
    if (UNAUTHENTICATED_PATHS.has(path) || isWebPagePath(path)) return done();
    const presented = bearer(request.headers.authorization) ?? readers(path)?.(request);
    if (keyMatches(presented, expected)) return done();
    reply.header('www-authenticate', 'Bearer');
    sendError(reply, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key>)');
  });
}
