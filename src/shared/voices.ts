/**
 * The voice catalogue and voice-mix grammar, shared by both threads.
 *
 * The table mirrors kokoro-js's own voice table (test/unit/voices-kokoro.test.ts keeps them equal):
 * those are the voices its phonemizer can speak (American and British English). The
 * main thread keeps a copy so that validating a voice never loads kokoro-js and its
 * runtime onto the event loop's thread.
 */

export interface VoiceInfo {
  name: string;
  language: 'en-us' | 'en-gb';
  gender: 'female' | 'male';
  grade: string;
}

export const VOICES: Readonly<Record<string, VoiceInfo>> = Object.freeze({
  af_heart: { name: 'Heart', language: 'en-us', gender: 'female', grade: 'A' },
  af_alloy: { name: 'Alloy', language: 'en-us', gender: 'female', grade: 'C' },
  af_aoede: { name: 'Aoede', language: 'en-us', gender: 'female', grade: 'C+' },
  af_bella: { name: 'Bella', language: 'en-us', gender: 'female', grade: 'A-' },
  af_jessica: { name: 'Jessica', language: 'en-us', gender: 'female', grade: 'D' },
  af_kore: { name: 'Kore', language: 'en-us', gender: 'female', grade: 'C+' },
  af_nicole: { name: 'Nicole', language: 'en-us', gender: 'female', grade: 'B-' },
  af_nova: { name: 'Nova', language: 'en-us', gender: 'female', grade: 'C' },
  af_river: { name: 'River', language: 'en-us', gender: 'female', grade: 'D' },
  af_sarah: { name: 'Sarah', language: 'en-us', gender: 'female', grade: 'C+' },
  af_sky: { name: 'Sky', language: 'en-us', gender: 'female', grade: 'C-' },
  am_adam: { name: 'Adam', language: 'en-us', gender: 'male', grade: 'F+' },
  am_echo: { name: 'Echo', language: 'en-us', gender: 'male', grade: 'D' },
  am_eric: { name: 'Eric', language: 'en-us', gender: 'male', grade: 'D' },
  am_fenrir: { name: 'Fenrir', language: 'en-us', gender: 'male', grade: 'C+' },
  am_liam: { name: 'Liam', language: 'en-us', gender: 'male', grade: 'D' },
  am_michael: { name: 'Michael', language: 'en-us', gender: 'male', grade: 'C+' },
  am_onyx: { name: 'Onyx', language: 'en-us', gender: 'male', grade: 'D' },
  am_puck: { name: 'Puck', language: 'en-us', gender: 'male', grade: 'C+' },
  am_santa: { name: 'Santa', language: 'en-us', gender: 'male', grade: 'D-' },
  bf_emma: { name: 'Emma', language: 'en-gb', gender: 'female', grade: 'B-' },
  bf_isabella: { name: 'Isabella', language: 'en-gb', gender: 'female', grade: 'C' },
  bm_george: { name: 'George', language: 'en-gb', gender: 'male', grade: 'C' },
  bm_lewis: { name: 'Lewis', language: 'en-gb', gender: 'male', grade: 'D+' },
  bf_alice: { name: 'Alice', language: 'en-gb', gender: 'female', grade: 'D' },
  bf_lily: { name: 'Lily', language: 'en-gb', gender: 'female', grade: 'D' },
  bm_daniel: { name: 'Daniel', language: 'en-gb', gender: 'male', grade: 'D' },
  bm_fable: { name: 'Fable', language: 'en-gb', gender: 'male', grade: 'C' },
});

export const DEFAULT_VOICE = 'af_heart';

/**
 * All 13 of OpenAI's voice names (Pipecat's OpenAI service refuses any other), each mapped to
 * the Kokoro voice closest in character: same gender and register, the better-graded voice
 * where two fit. Several names may share a voice; README "Voices" states the choices.
 */
export const OPENAI_VOICE_MAP: Readonly<Record<string, string>> = Object.freeze({
  alloy: 'af_alloy',
  ash: 'am_michael',
  ballad: 'bm_george',
  cedar: 'am_fenrir',
  coral: 'af_heart',
  echo: 'am_echo',
  fable: 'bm_fable',
  marin: 'af_kore',
  nova: 'af_nova',
  onyx: 'am_onyx',
  sage: 'af_sarah',
  shimmer: 'af_bella',
  verse: 'am_puck',
});

export interface VoiceComponent {
  id: string;
  weight: number;
}

export type VoiceParse = { ok: true; components: VoiceComponent[] } | { ok: false; message: string };

const MAX_MIX = 8;
const COMPONENT = /^([a-z]{2}_[a-z]+)(?:\((\d+(?:\.\d+)?)\))?$/;

/**
 * Parse `af_bella`, `af_bella+af_sky` (equal weights) or `af_bella(2)+af_sky(1)`.
 * Weights are normalised to sum to 1. Only catalogue voices are accepted, so a voice
 * string can never name a file outside the shipped set.
 */
export function parseVoice(voice: unknown): VoiceParse {
  if (typeof voice !== 'string' || voice.length === 0 || voice.length > 200) {
    return { ok: false, message: 'voice must be a non-empty string' };
  }
  const parts = voice.split('+');
  if (parts.length > MAX_MIX) return { ok: false, message: `a voice mix has at most ${MAX_MIX} voices` };
  const components: VoiceComponent[] = [];
  for (const part of parts) {
    const m = COMPONENT.exec(part.trim());
    if (!m) return { ok: false, message: `malformed voice "${part}"` };
    const id = m[1]!;
    if (!Object.hasOwn(VOICES, id)) return { ok: false, message: `unknown voice "${id}"` };
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    if (!(weight > 0) || !Number.isFinite(weight)) return { ok: false, message: `voice weight of "${id}" must be positive` };
    components.push({ id, weight });
  }
  const total = components.reduce((s, c) => s + c.weight, 0);
  return { ok: true, components: components.map((c) => ({ id: c.id, weight: c.weight / total })) };
}

/** A voice id, an OpenAI voice name, or a mix, resolved to the host's voice string; null if invalid. */
export function resolveVoiceName(voice: unknown): string | null {
  if (typeof voice === 'string' && Object.hasOwn(OPENAI_VOICE_MAP, voice)) return OPENAI_VOICE_MAP[voice]!;
  return parseVoice(voice).ok ? (voice as string) : null;
}
