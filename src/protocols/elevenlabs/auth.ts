/**
 * How ElevenLabs clients present a key on the stream-input sockets: the `xi-api-key`
 * header (the SDKs, LiveKit, Pipecat), or from browsers the `xi_api_key` query name, or
 * the `authorization` query name with a bearer token. The key an ElevenLabs client may
 * also put in its first message (`xi_api_key`) is not read: the host authenticates at
 * the upgrade, before any message (docs/elevenlabs.md).
 */
import type { FastifyRequest } from 'fastify';

export function elevenLabsKey(request: FastifyRequest): string | undefined {
  const header = request.headers['xi-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const query = (request.query ?? {}) as Record<string, unknown>;
  if (typeof query.xi_api_key === 'string' && query.xi_api_key !== '') return query.xi_api_key;
  const auth = query.authorization;
  if (typeof auth === 'string') return /^(?:Bearer\s+)?(\S+)$/i.exec(auth.trim())?.[1];
  return undefined;
}
