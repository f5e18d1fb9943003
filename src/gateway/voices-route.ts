/**
 * The voice catalogue and the model list, OpenAI-shaped where OpenAI has a shape.
 */
import type { FastifyInstance } from 'fastify';
import { DEFAULT_VOICE, OPENAI_VOICE_MAP, VOICES } from '../shared/voices.ts';

/** Model names POST /v1/audio/speech accepts; all are served by the same Kokoro model. */
export const SPEECH_MODELS = ['kokoro', 'tts-1', 'tts-1-hd', 'gpt-4o-mini-tts'] as const;

const CREATED = 1735689600; // 2025-01-01: a stable value, the models do not change at run time

function voicesBody() {
  return {
    default: DEFAULT_VOICE,
    voices: Object.entries(VOICES).map(([id, v]) => ({ id, name: v.name, language: v.language, gender: v.gender, grade: v.grade })),
    aliases: Object.entries(OPENAI_VOICE_MAP).map(([alias, id]) => ({ id: alias, voice: id, language: VOICES[id]?.language, gender: VOICES[id]?.gender })),
    mixes: 'voices may be mixed: "af_bella+af_sky" (equal weights) or "af_bella(2)+af_sky(1)"',
  };
}

export function registerVoicesRoutes(app: FastifyInstance): void {
  const body = voicesBody();
  app.get('/v1/voices', (_request, reply) => {
    reply.send(body);
  });
  app.get('/v1/audio/voices', (_request, reply) => {
    reply.send(body);
  });
  app.get('/v1/models', (_request, reply) => {
    reply.send({
      object: 'list',
      data: SPEECH_MODELS.map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'kokoro-host' })),
    });
  });
}
