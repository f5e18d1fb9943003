/**
 * How Deepgram clients present a key on the Speak socket, besides `Authorization: Bearer`
 * (which auth.ts reads on every route): the `Authorization: Token <key>` header of the
 * SDKs, Pipecat and LiveKit, and, from browsers, which cannot set headers, the subprotocol
 * pair `Sec-WebSocket-Protocol: token, <key>` (or `bearer, <key>`). The ws server answers
 * such an upgrade with the first protocol offered (`token`), as Deepgram does, so the key
 * is never echoed back.
 */
import type { FastifyRequest } from 'fastify';

export const DEEPGRAM_PATH = '/v1/speak';

function tokenHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Token\s+(\S+)\s*$/i.exec(header)?.[1];
}

/** The key in a `Sec-WebSocket-Protocol: token, <key>` (or `bearer, <key>`) offer; the native socket takes it too (auth.ts). */
export function subprotocolKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parts = header.split(',').map((p) => p.trim());
  const at = parts.findIndex((p) => /^(token|bearer)$/i.test(p));
  const key = at < 0 ? undefined : parts[at + 1];
  return key === undefined || key === '' ? undefined : key;
}

/** The key a Deepgram client presented in its own ways, if any. */
export function deepgramKey(request: FastifyRequest): string | undefined {
  return tokenHeader(request.headers.authorization) ?? subprotocolKey(request.headers['sec-websocket-protocol']);
}
