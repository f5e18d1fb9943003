/**
 * Optional bearer-token auth (KOKORO_API_KEY). When set, every route except the probes
 * and /metrics needs `Authorization: Bearer <key>`. The WebSocket upgrade also accepts
 * `?api_key=<key>`, because browsers cannot set headers on a WebSocket; that query value
 * is redacted from logs (src/logger.ts). It also accepts the subprotocol pair
 * `Sec-WebSocket-Protocol: bearer, <key>`, which keeps the key out of every URL: the
 * playground page uses it. The page itself (`/`, `/web/*`) is public: it holds no data,
 * and a browser cannot present a bearer token when it loads a page. The Deepgram Speak socket also takes the key the
 * ways Deepgram clients send it (deepgram-auth.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEEPGRAM_PATH, deepgramKey, subprotocolKey } from './deepgram-auth.ts';
import { sendError } from './http-errors.ts';

export const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
export const WS_PATH = '/v1/tts/ws';

/** The playground's page and assets (src/gateway/web-route.ts). */
function isPagePath(path: string): boolean {
  return path === '/' || path.startsWith('/web/');
}

/** The key a native WebSocket client presented besides the Authorization header. */
function wsKey(request: FastifyRequest): string | undefined {
  return subprotocolKey(request.headers['sec-websocket-protocol']) ?? queryKey(request);
}

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

function queryKey(request: FastifyRequest): string | undefined {
  const key = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof key === 'string' ? key : undefined;
}

export function registerAuth(app: FastifyInstance, apiKey: string | undefined): void {
  if (apiKey === undefined || apiKey === '') return;
  const expected = digest(apiKey);
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const path = request.url.split('?')[0] ?? '';
    if (UNAUTHENTICATED_PATHS.has(path) || isPagePath(path)) return done();
    const presented = bearer(request.headers.authorization) ?? (path === WS_PATH ? wsKey(request) : path === DEEPGRAM_PATH ? deepgramKey(request) : undefined);
    if (keyMatches(presented, expected)) return done();
    reply.header('www-authenticate', 'Bearer');
    sendError(reply, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key>)');
  });
}
