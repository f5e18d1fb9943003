/**
 * How Deepgram clients present a key on the Speak socket, besides `Authorization: Bearer`
 * (which src/gateway/auth.ts reads on every route): the `Authorization: Token <key>` header of the
 * SDKs, Pipecat and LiveKit, and, from browsers, which cannot set headers, the subprotocol
 * pair `Sec-WebSocket-Protocol: token, <key>` (or `bearer, <key>`; the native socket takes
 * that pair too, src/gateway/socket/subprotocol-key.ts). The ws server answers such an
 * upgrade with the first protocol offered (`token`), as Deepgram does, so the key is never
 * echoed back.
 */
import type { FastifyRequest } from 'fastify';
import { subprotocolKey } from '../../gateway/socket/subprotocol-key.ts';

function tokenHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Token\s+(\S+)\s*$/i.exec(header)?.[1];
}

/** The key a Deepgram client presented in its own ways, if any. */
export function deepgramKey(request: FastifyRequest): string | undefined {
  return tokenHeader(request.headers.authorization) ?? subprotocolKey(request.headers['sec-websocket-protocol']);
}
