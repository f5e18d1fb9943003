/**
 * GET /v1/tts/ws: the native streaming protocol (ws-v1.md).
 *
 * Admission (401 from auth, 503 while shutting down or at the host-wide connection cap)
 * happens before the handshake, as plain HTTP: see src/gateway/socket/admission.ts.
 *
 * Query defaults (voice, speed, format) that are invalid do not fail the upgrade: the
 * session opens with the built-in default for that field, `ready` reports what is in
 * effect, and an `error` frame with the field's code follows it (see ws-v1.md: a
 * rejected value changes nothing).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_VOICE } from '../../shared/voices.ts';
import { NATIVE_WS_PATH } from '../../gateway/route-paths.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import { NOTHING_TO_VET, registerSocketRoute } from '../../gateway/socket/socket-route.ts';
import { parseQueryDefaults } from './messages.ts';
import { WsSession, type Settings } from './session.ts';


export function registerWsRoute(app: FastifyInstance, ctx: GatewayContext): void {
  registerSocketRoute(app, ctx, {
    url: NATIVE_WS_PATH,
    protocolName: 'ws-v1',
    vet: NOTHING_TO_VET,
    open: (socket, request, _vetted, release) => {
      const id = randomUUID();
      const log = request.log.child({ sessionId: id });
      const query = parseQueryDefaults((request.query ?? {}) as Record<string, unknown>);
      const settings: Settings = { voice: query.voice ?? DEFAULT_VOICE, speed: query.speed ?? 1, format: query.format ?? 'pcm_s16le', timestamps: query.timestamps ?? false, ...(query.lang !== undefined ? { lang: query.lang } : {}) };
      const session = new WsSession(id, socket, ctx, settings, log);
      session.start(query.rejects);
      ctx.admission.adopt(session.socket, 'v1', release);
    },
  });
}
