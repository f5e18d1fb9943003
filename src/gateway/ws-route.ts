/**
 * GET /v1/tts/ws: the native streaming protocol (ws-v1.md).
 *
 * Refusals happen before the handshake, as plain HTTP (a WebSocket client sees the
 * status): 401 from auth, 503 while shutting down or at the connection cap. The cap
 * counts live sessions plus upgrades already admitted but not yet handed to a session.
 *
 * Query defaults (voice, speed, format) that are invalid do not fail the upgrade: the
 * session opens with the built-in default for that field, `ready` reports what is in
 * effect, and an `error` frame with the field's code follows it (see ws-v1.md: a
 * rejected value changes nothing).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_VOICE } from '../shared/voices.ts';
import { WS_PATH } from './auth.ts';
import type { GatewayContext } from './context.ts';
import { sendError } from './http-errors.ts';
import { parseQueryDefaults } from './ws-messages.ts';
import { WsSession } from './ws-session.ts';
import type { Settings } from './ws-turn.ts';

const kRelease = Symbol('releaseConnectionSlot');

type AdmittedRequest = FastifyRequest & { [kRelease]?: () => void };

export function registerWsRoute(app: FastifyInstance, ctx: GatewayContext): void {
  const sessions = new Set<WsSession>();
  ctx.metrics.wsConnections.set({ protocol: 'v1' }, 0);
  let admitted = 0;

  const admit = (request: AdmittedRequest, reply: FastifyReply, done: () => void) => {
    if (!request.ws) return done();
    if (ctx.lifecycle.shuttingDown) {
      sendError(reply, 'shutting_down', 'the host is shutting down');
      return;
    }
    const limit = ctx.config.maxConnections;
    if (sessions.size + admitted >= limit) {
      request.log.warn({ limit }, 'ws connection refused: at the connection limit');
      sendError(reply, 'overloaded', `the host is at its WebSocket connection limit (${limit}); retry later`);
      return;
    }
    admitted++;
    let held = true;
    const release = () => {
      if (held) admitted--;
      held = false;
    };
    request[kRelease] = release;
    // An admitted upgrade that never reaches the handler (handshake failure) gives its slot back.
    request.raw.socket.once('close', release);
    done();
  };

  app.route({
    method: 'GET',
    url: WS_PATH,
    onRequest: admit,
    handler: (_request, reply) => {
      sendError(reply, 'invalid_request', 'this endpoint speaks WebSocket: send an upgrade request', 426);
    },
    wsHandler: (socket, request: AdmittedRequest) => {
      request[kRelease]?.();
      const id = randomUUID();
      const log = request.log.child({ sessionId: id });
      const query = parseQueryDefaults((request.query ?? {}) as Record<string, unknown>);
      const settings: Settings = { voice: query.voice ?? DEFAULT_VOICE, speed: query.speed ?? 1, format: query.format ?? 'pcm_s16le' };
      const session = new WsSession(id, socket, ctx, settings, log);
      sessions.add(session);
      ctx.metrics.wsConnections.inc({ protocol: 'v1' });
      void session.closed.then(() => {
        sessions.delete(session);
        ctx.lifecycle.delete(session);
        ctx.metrics.wsConnections.dec({ protocol: 'v1' });
      });
      session.start(query.rejects);
      ctx.lifecycle.add(session);
    },
  });
}
