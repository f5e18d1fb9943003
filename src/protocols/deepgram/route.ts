/**
 * GET /v1/speak: Deepgram's streaming Speak socket, for voice-agent frameworks that speak
 * it (the Deepgram SDKs, Pipecat DeepgramTTSService, LiveKit deepgram.TTS) pointed at
 * this host's base URL. docs/deepgram.md is its contract.
 *
 * Refusals happen before the handshake, as plain HTTP, the way Deepgram refuses: 400 for
 * a bad query (with Deepgram's `dg-error` header), 401 from auth, 503 while shutting down
 * or at the host-wide connection cap it shares with the native route (src/gateway/socket/admission.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway/context.ts';
import { DEEPGRAM_PATH } from '../../gateway/route-paths.ts';
import { parseDeepgramQuery, type DeepgramSettings } from './query.ts';
import { DeepgramSession } from './session.ts';
import { errorBody } from '../../gateway/http-errors.ts';
import { registerSocketRoute } from '../../gateway/socket/socket-route.ts';

/** The message may quote the client's model name: keep the header to printable ASCII. */
function headerSafe(message: string): string {
  return message.slice(0, 300).replace(/[^\x20-\x7e]/g, '?');
}

export function registerDeepgramRoute(app: FastifyInstance, ctx: GatewayContext): void {
  registerSocketRoute<DeepgramSettings>(app, ctx, {
    url: DEEPGRAM_PATH,
    protocolName: 'Deepgram streaming Speak',
    vet: (request, reply) => {
      const query = parseDeepgramQuery((request.query ?? {}) as Record<string, unknown>);
      if (query.ok) return query.settings;
      const { code, param, message } = query.fault;
      request.log.info({ code, param }, 'deepgram upgrade refused: bad query');
      reply.header('dg-request-id', request.id).header('dg-error', headerSafe(message));
      reply.code(400).type('application/json').send(errorBody(400, code, message, param));
      return undefined;
    },
    open: (socket, request, settings, release) => {
      const id = randomUUID();
      const session = new DeepgramSession(id, socket, ctx, settings, request.log.child({ sessionId: id, protocol: 'deepgram' }));
      session.start();
      ctx.admission.adopt(session.socket, 'deepgram', release);
    },
  });
}
