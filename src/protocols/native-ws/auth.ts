/**
 * How a native-socket client presents the key besides `Authorization: Bearer`: browsers
 * cannot set headers on a WebSocket, so the upgrade also takes `?api_key=<key>` (redacted
 * from logs by src/logger.ts).
 */
import type { FastifyRequest } from 'fastify';

export function queryApiKey(request: FastifyRequest): string | undefined {
  const key = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof key === 'string' ? key : undefined;
}
