/**
 * GET /tts/websocket: Cartesia's TTS socket, for voice-agent frameworks that speak it
 * (LiveKit's and Pipecat's Cartesia TTS) pointed at this host's base URL.
 * docs/cartesia.md is the contract. Admission (the host-wide connection cap, shutdown)
 * and auth refuse before the handshake, as plain HTTP; everything else is answered
 * in-band with Cartesia's `error` message.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../gateway/context.ts';
import { sendError } from '../../gateway/http-errors.ts';
import { CARTESIA_PATH } from '../../gateway/route-paths.ts';
import { CartesiaSession } from './session.ts';

const kRelease = Symbol('cartesiaAdmission');

type AdmittedRequest = FastifyRequest & { [kRelease]?: () => void };

export function registerCartesiaRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.route({
    method: 'GET',
    url: CARTESIA_PATH,
    onRequest: (request: AdmittedRequest, reply: FastifyReply, done: () => void) => {
      if (!request.ws) return done();
      const release = ctx.admission.reserve(request, reply);
      if (release === undefined) return;
      request[kRelease] = release;
      done();
    },
    handler: (_request, reply) => {
      sendError(reply, 'invalid_request', 'this endpoint speaks WebSocket (Cartesia TTS): send an upgrade request', 426);
    },
    wsHandler: (socket, request: AdmittedRequest) => {
      const release = request[kRelease];
      if (release === undefined) {
        socket.close(1011, 'internal error');
        return;
      }
      const id = randomUUID();
      const session = new CartesiaSession(id, socket, ctx, request.log.child({ sessionId: id, protocol: 'cartesia' }));
      session.start();
      ctx.admission.adopt(session.socket, 'cartesia', release);
    },
  });
}
