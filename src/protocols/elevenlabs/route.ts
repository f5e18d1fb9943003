/**
 * GET /v1/text-to-speech/{voice_id}/stream-input and .../multi-stream-input: ElevenLabs'
 * text-to-speech sockets, for voice-agent frameworks that speak them (LiveKit's and
 * Pipecat's ElevenLabs TTS) pointed at this host's base URL. docs/elevenlabs.md is the
 * contract.
 *
 * Admission (the host-wide connection cap, shutdown) and auth refuse before the handshake,
 * as plain HTTP. An unknown voice or output_format is answered the way ElevenLabs answers
 * it: the socket opens, gets `{message, error, code: 1008}` and is closed with 1008.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway/context.ts';
import { NOTHING_TO_VET, registerSocketRoute } from '../../gateway/socket/socket-route.ts';
import { ELEVENLABS_MULTI_PATH, ELEVENLABS_STREAM_PATH } from '../../gateway/route-paths.ts';
import { errorFrame } from './messages.ts';
import { ElevenLabsSession } from './session.ts';
import { parseElevenLabsSettings } from './settings.ts';

export function registerElevenLabsRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  for (const [url, multi] of [[ELEVENLABS_STREAM_PATH, false], [ELEVENLABS_MULTI_PATH, true]] as const) {
    registerSocketRoute(app, ctx, {
      url,
      protocolName: 'ElevenLabs stream-input',
      vet: NOTHING_TO_VET,
      open: (socket, request, _vetted, release) => {
        const voiceId = (request.params as { voice_id: string }).voice_id;
        const parsed = parseElevenLabsSettings(voiceId, (request.query ?? {}) as Record<string, unknown>);
        if (!parsed.ok) {
          release();
          request.log.info({ code: parsed.fault.code }, 'elevenlabs session refused');
          socket.send(JSON.stringify(errorFrame(parsed.fault.code, parsed.fault.message, 1008)));
          socket.close(1008, parsed.fault.code);
          return;
        }
        const id = randomUUID();
        const log = request.log.child({ sessionId: id, protocol: 'elevenlabs' });
        const session = new ElevenLabsSession(id, socket, ctx, parsed.settings, multi, log);
        session.start();
        ctx.admission.adopt(session.socket, 'elevenlabs', release);
      },
    });
  }
}
