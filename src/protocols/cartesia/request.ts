/**
 * Client messages of Cartesia's TTS socket, checked: a generation request
 * `{model_id, transcript, voice: {mode: "id", id}, output_format: {container: "raw",
 * encoding, sample_rate}, context_id, continue, flush, add_timestamps, language, speed,
 * generation_config}` or a cancel `{context_id, cancel: true}`. Unknown fields are ignored.
 *
 * `voice.id` is a Kokoro voice (or mix), or LiveKit's default Cartesia voice (mapped to
 * af_heart so an unconfigured agent speaks). Kokoro's voices here speak English:
 * `language` is "en" (or absent). model_id is accepted and ignored: Kokoro has one model.
 */
import type { ErrorCode } from '../../errors.ts';
import { KOKORO_SPEED_RANGE } from '../../gateway/turn/turn.ts';
import type { RawEncoding } from '../../common/raw-pcm.ts';
import { DEFAULT_VOICE, resolveVoiceName } from '../../shared/voices.ts';

export const CARTESIA_ENCODINGS: Readonly<Record<string, RawEncoding>> = { pcm_s16le: 's16le', pcm_f32le: 'f32le', pcm_mulaw: 'mulaw', pcm_alaw: 'alaw' };
export const CARTESIA_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;
/** LiveKit agents' default Cartesia voice id. */
const MAPPED_VOICES: Readonly<Record<string, string>> = { 'f786b574-daa5-4673-aa0c-cbe3e8534c02': DEFAULT_VOICE };
const NAMED_SPEEDS: Readonly<Record<string, number>> = { slowest: 0.7, slow: 0.85, normal: 1, fast: 1.15, fastest: 1.3 };

export interface Generation {
  kind: 'generate';
  contextId: string | undefined;
  transcript: string;
  voice: string;
  encoding: RawEncoding;
  sampleRate: number;
  speed: number;
  continue: boolean;
  flush: boolean;
  addTimestamps: boolean;
}

export type CartesiaRequest = Generation | { kind: 'cancel'; contextId: string };

/** A refused message: its catalogue code and the context it named, if any. */
export class BadRequest extends Error {
  readonly code: ErrorCode;
  readonly contextId: string | undefined;

  constructor(code: ErrorCode, message: string, contextId: string | undefined) {
    super(message);
    this.code = code;
    this.contextId = contextId;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function speedOf(o: Record<string, unknown>, bad: (m: string) => BadRequest): number {
  const raw = isObject(o.generation_config) && o.generation_config.speed !== undefined ? o.generation_config.speed : o.speed;
  if (raw === undefined || raw === null) return 1;
  const n = typeof raw === 'string' ? NAMED_SPEEDS[raw] : raw;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw bad('speed must be a number or one of slowest, slow, normal, fast, fastest');
  return Math.min(KOKORO_SPEED_RANGE[1], Math.max(KOKORO_SPEED_RANGE[0], n));
}

export function parseCartesiaRequest(raw: string): CartesiaRequest {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new BadRequest('bad_message', 'the message is not JSON', undefined);
  }
  if (!isObject(value)) throw new BadRequest('bad_message', 'the message must be a JSON object', undefined);
  const o = value;
  if (o.context_id !== undefined && (typeof o.context_id !== 'string' || o.context_id === '' || o.context_id.length > 200)) {
    throw new BadRequest('bad_message', 'context_id must be a non-empty string of at most 200 characters', undefined);
  }
  const contextId = o.context_id as string | undefined;
  const bad = (message: string, code: ErrorCode = 'bad_message') => new BadRequest(code, message, contextId);
  if (o.cancel === true) {
    if (contextId === undefined) throw bad('cancel needs a context_id');
    return { kind: 'cancel', contextId };
  }
  if (typeof o.transcript !== 'string') throw bad('transcript must be a string');
  if (!isObject(o.voice) || (o.voice.mode !== undefined && o.voice.mode !== 'id') || typeof o.voice.id !== 'string') {
    throw bad('voice must be {"mode": "id", "id": "<voice>"}', 'invalid_voice');
  }
  const voice = MAPPED_VOICES[o.voice.id] ?? resolveVoiceName(o.voice.id);
  if (voice === null) throw bad(`voice "${o.voice.id.slice(0, 100)}" is not a Kokoro voice (see docs/cartesia.md)`, 'invalid_voice');
  const format = o.output_format;
  if (!isObject(format) || format.container !== 'raw') throw bad('output_format must be {"container": "raw", "encoding", "sample_rate"}', 'invalid_format');
  const encoding = typeof format.encoding === 'string' ? CARTESIA_ENCODINGS[format.encoding] : undefined;
  if (encoding === undefined) throw bad(`output_format.encoding must be one of ${Object.keys(CARTESIA_ENCODINGS).join(', ')}`, 'invalid_format');
  if (!(CARTESIA_RATES as readonly unknown[]).includes(format.sample_rate)) throw bad(`output_format.sample_rate must be one of ${CARTESIA_RATES.join(', ')}`, 'invalid_format');
  if (o.language !== undefined && !(typeof o.language === 'string' && /^en(?:[-_]|$)/i.test(o.language))) {
    throw bad('language must be "en": the voices of this host speak English', 'invalid_request');
  }
  for (const key of ['continue', 'flush', 'add_timestamps'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw bad(`${key} must be a boolean`);
  }
  return {
    kind: 'generate',
    contextId,
    transcript: o.transcript,
    voice,
    encoding,
    sampleRate: format.sample_rate as number,
    speed: speedOf(o, bad),
    continue: o.continue === true,
    flush: o.flush === true,
    addTimestamps: o.add_timestamps === true,
  };
}
