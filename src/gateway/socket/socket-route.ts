/**
 * How every socket protocol registers its WebSocket route, so admission works the same on all
 * of them: the host-wide connection slot is reserved before the handshake (503 at the cap or
 * while shutting down, 401 from auth, all plain HTTP: admission.ts), a plain GET is told to
 * upgrade (426), and the protocol opens its session after the handshake with the slot held.
 * A protocol that refuses some upgrades in its own HTTP shape (Deepgram's bad query) does so in
 * `vet`, before the handshake; the slot is released for it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { GatewayContext } from '../context.ts';
import { sendError } from '../http-errors.ts';

export interface SocketRoute<V> {
  url: string;
  /** Names the protocol in the 426 answer to a request that did not ask to upgrade. */
  protocolName: string;
  /** Before the handshake, with the slot held: what the session needs, or undefined once `reply` has refused. */
  vet(request: FastifyRequest, reply: FastifyReply): V | undefined;
  /** After the handshake: start the session and adopt `release` (or call it when refusing in-band). */
  open(socket: WebSocket, request: FastifyRequest, vetted: V, release: () => void): void;
}

/** A route whose upgrades need nothing vetted: `vet` answers `true`. */
export const NOTHING_TO_VET = (): true => true;

export function registerSocketRoute<V>(app: FastifyInstance, ctx: GatewayContext, route: SocketRoute<V>): void {
  // Per request, between onRequest and the handshake; a WeakMap so an upgrade that never completes leaves nothing.
  const admitted = new WeakMap<FastifyRequest, { vetted: V; release: () => void }>();
  app.route({
    method: 'GET',
    url: route.url,
    onRequest: (request, reply, done) => {
      if (!request.ws) return done();
      const release = ctx.admission.reserve(request, reply);
      if (release === undefined) return;
      const vetted = route.vet(request, reply);
      if (vetted === undefined) {
        release();
        return;
      }
      admitted.set(request, { vetted, release });
      done();
    },
    handler: (_request, reply) => {
      sendError(reply, 'invalid_request', `this endpoint speaks WebSocket (${route.protocolName}): send an upgrade request`, 426);
    },
    wsHandler: (socket, request) => {
      const admission = admitted.get(request);
      if (admission === undefined) {
        socket.close(1011, 'internal error');
        return;
      }
      admitted.delete(request);
      route.open(socket, request, admission.vetted, admission.release);
    },
  });
}
