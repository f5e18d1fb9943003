/**
 * How Cartesia clients present a key on /tts/websocket: the `X-API-Key` header (the SDKs,
 * LiveKit, Pipecat) or, from browsers, the `api_key` query name. The `Cartesia-Version`
 * header (or `cartesia_version` query) the clients send is accepted and not required:
 * this host serves one version of the protocol (docs/cartesia.md).
 */
import type { FastifyRequest } from 'fastify';

export function cartesiaKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const query = (request.query ?? {}) as Record<string, unknown>;
  return typeof query.api_key === 'string' && query.api_key !== '' ? query.api_key : undefined;
}
