/**
 * Every path the host serves, in one place: each route registers its own, auth and the
 * shutdown hook read them here. A protocol's path is its address, not its auth's business.
 */
export const NATIVE_WS_PATH = '/v1/tts/ws';
export const DEEPGRAM_PATH = '/v1/speak';
/** ElevenLabs' sockets carry the voice in the path (Fastify route syntax; ELEVENLABS_PATH_PATTERN matches a request's path). */
export const ELEVENLABS_STREAM_PATH = '/v1/text-to-speech/:voice_id/stream-input';
export const ELEVENLABS_MULTI_PATH = '/v1/text-to-speech/:voice_id/multi-stream-input';
export const ELEVENLABS_PATH_PATTERN = /^\/v1\/text-to-speech\/[^/]+\/(?:multi-)?stream-input$/;
export const CARTESIA_PATH = '/tts/websocket';
export const SPEECH_PATH = '/v1/audio/speech';
/** Text -> phonemes (src/protocols/openai/phoneme-routes.ts), and Kokoro-FastAPI's paths for it and for phonemes -> audio. */
export const PHONEMIZE_PATH = '/v1/phonemize';
export const DEV_PHONEMIZE_PATH = '/dev/phonemize';
export const DEV_GENERATE_FROM_PHONEMES_PATH = '/dev/generate_from_phonemes';
export const HEALTHZ_PATH = '/healthz';
export const READYZ_PATH = '/readyz';
export const METRICS_PATH = '/metrics';
/** Kokoro-FastAPI's speech with word timestamps (its path, `/dev/` included, so its clients need only the base URL). */
export const CAPTIONED_SPEECH_PATH = '/dev/captioned_speech';
/** The playground (src/gateway/web-route.ts): its page, and its assets and config under the prefix. */
export const WEB_PAGE_PATH = '/';
export const WEB_ASSETS_PREFIX = '/web/';

/** Probes and metrics: open without a key, and answered during a drain. */
export const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set([HEALTHZ_PATH, READYZ_PATH, METRICS_PATH]);
/**
 * The playground's page and assets: public too (they hold no data, and a browser cannot
 * present a bearer token when it loads a page), but refused during a drain like the API.
 */
export function isWebPagePath(path: string): boolean {
  return path === WEB_PAGE_PATH || path.startsWith(WEB_ASSETS_PREFIX);
}
