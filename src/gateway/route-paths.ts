/**
 * Every path the host serves, in one place: each route registers its own, auth and the
 * shutdown hook read them here. A protocol's path is its address, not its auth's business.
 */
export const NATIVE_WS_PATH = '/v1/tts/ws';
export const DEEPGRAM_PATH = '/v1/speak';
export const SPEECH_PATH = '/v1/audio/speech';
export const HEALTHZ_PATH = '/healthz';
export const READYZ_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

/** Probes and metrics: open without a key, and answered during a drain. */
export const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set([HEALTHZ_PATH, READYZ_PATH, METRICS_PATH]);
