/**
 * GET /tts/websocket: Cartesia's TTS socket, for voice-agent frameworks that speak it
 * (LiveKit's and Pipecat's Cartesia TTS) pointed at this host's base URL.
 * docs/cartesia.md is the contract. Admission (the host-wide connection cap, shutdown)
 * and auth refuse before the handshake, as plain HTTP; everything else is answered
 * in-band with Cartesia's `error` message.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway/context.ts';
import { NOTHING_TO_VET, registerSocketRoute } from '../../gateway/socket/socket-route.ts';
import { CARTESIA_PATH } from '../../gateway/route-paths.ts';
import { CartesiaSession } from './session.ts';

export function registerCartesiaRoute(app: FastifyInstance, ctx: GatewayContext): void {
  registerSocketRoute(app, ctx, {
    url: CARTESIA_PATH,
    protocolName: 'Cartesia TTS',
    vet: NOTHING_TO_VET,
    open: (socket, request, _vetted, release) => {
      const id = randomUUID();
      const session = new CartesiaSession(id, socket, ctx, request.log.child({ sessionId: id, protocol: 'cartesia' }));
      session.start();
      ctx.admission.adopt(session.socket, 'cartesia', release);
    },
  });
}
