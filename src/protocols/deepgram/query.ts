/**
 * The query of a Deepgram Speak upgrade (`/v1/speak?model=&encoding=&sample_rate=&speed=`),
 * checked before the handshake: a bad value is an HTTP 400, which Deepgram's own service
 * answers too and which every client surfaces (the JS SDK rejects `waitForOpen()` and does
 * not reconnect). Other query names (`mip_opt_out`, `container`, `bit_rate`...) are
 * accepted and ignored.
 */
import type { ErrorCode } from '../../errors.ts';
import { DEFAULT_VOICE } from '../../shared/voices.ts';
import { resolveModel } from './aura-voices.ts';
import { KOKORO_SPEED_RANGE } from '../../gateway/turn/turn.ts';

export const DEEPGRAM_ENCODINGS = ['linear16', 'mulaw', 'alaw'] as const;
export type DeepgramEncoding = (typeof DEEPGRAM_ENCODINGS)[number];
/** Deepgram's rates, plus 44100 (Deepgram lists it for linear16). */
export const DEEPGRAM_SAMPLE_RATES = [8000, 16000, 24000, 32000, 44100, 48000] as const;
/** Deepgram's defaults: telephony encodings at 8 kHz, linear16 at 24 kHz. */
const DEFAULT_RATE: Readonly<Record<DeepgramEncoding, number>> = { linear16: 24000, mulaw: 8000, alaw: 8000 };

export interface DeepgramSettings {
  /** The model as the client named it (echoed in Metadata). */
  model: string;
  /** The Kokoro voice string it resolved to. */
  voice: string;
  encoding: DeepgramEncoding;
  sampleRate: number;
  speed: number;
}

export interface QueryFault {
  code: ErrorCode;
  param: string;
  message: string;
}

export type QueryResult = { ok: true; settings: DeepgramSettings } | { ok: false; fault: QueryFault };

function fault(code: ErrorCode, param: string, message: string): QueryResult {
  return { ok: false, fault: { code, param, message } };
}

export function parseDeepgramQuery(query: Record<string, unknown>): QueryResult {
  const { model, encoding, sample_rate: rate, speed } = query;
  let voice = DEFAULT_VOICE;
  if (model !== undefined) {
    if (typeof model !== 'string' || model === '') return fault('invalid_voice', 'model', 'model must be given once, as a non-empty string');
    const resolved = resolveModel(model);
    if (!resolved.ok) return fault('invalid_voice', 'model', resolved.message);
    voice = resolved.voice;
  }

  let enc: DeepgramEncoding = 'linear16';
  if (encoding !== undefined) {
    const name = typeof encoding === 'string' ? encoding.toLowerCase() : '';
    if (!(DEEPGRAM_ENCODINGS as readonly string[]).includes(name)) {
      return fault('invalid_format', 'encoding', `encoding must be one of ${DEEPGRAM_ENCODINGS.join(', ')} (the streaming encodings)`);
    }
    enc = name as DeepgramEncoding;
  }

  let sampleRate = DEFAULT_RATE[enc];
  if (rate !== undefined) {
    const n = typeof rate === 'string' && /^\d+$/.test(rate) ? Number(rate) : NaN;
    if (!(DEEPGRAM_SAMPLE_RATES as readonly number[]).includes(n)) {
      return fault('invalid_format', 'sample_rate', `sample_rate must be one of ${DEEPGRAM_SAMPLE_RATES.join(', ')}`);
    }
    sampleRate = n;
  }

  let pace = 1;
  if (speed !== undefined) {
    const n = typeof speed === 'string' && speed.trim() !== '' ? Number(speed) : NaN;
    if (!Number.isFinite(n) || n < KOKORO_SPEED_RANGE[0] || n > KOKORO_SPEED_RANGE[1]) {
      return fault('invalid_speed', 'speed', `speed must be a number between ${KOKORO_SPEED_RANGE[0]} and ${KOKORO_SPEED_RANGE[1]}`);
    }
    pace = n;
  }

  return { ok: true, settings: { model: typeof model === 'string' ? model : voice, voice, encoding: enc, sampleRate, speed: pace } };
}
