/**
 * How a native-socket client presents the key besides `Authorization: Bearer`: browsers
 * cannot set headers on a WebSocket, so the upgrade also takes the subprotocol pair
 * `Sec-WebSocket-Protocol: bearer, <key>`, which keeps the key out of every URL (the
 * playground page uses it), and `?api_key=<key>` (redacted from logs by src/logger.ts).
 */
import type { FastifyRequest } from 'fastify';
import { subprotocolKey } from '../../gateway/socket/subprotocol-key.ts';

export function queryApiKey(request: FastifyRequest): string | undefined {
  const key = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof key === 'string' ? key : undefined;
}

/** The key a native-socket client presented besides the Authorization header, if any. */
export function nativeWsKey(request: FastifyRequest): string | undefined {
  return subprotocolKey(request.headers['sec-websocket-protocol']) ?? queryApiKey(request);
}
