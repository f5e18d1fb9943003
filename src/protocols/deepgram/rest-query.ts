/**
 * The query of Deepgram's REST Speak (`POST /v1/speak?model=&encoding=&container=&sample_rate=&bit_rate=&speed=`),
 * held to Deepgram's audio format combinations (developers.deepgram.com, "Media Output
 * Settings"): each encoding has its containers, its sample rates and, for the compressed
 * ones, its bit rates; a value outside them is a 400 like Deepgram's. `model` and `speed`
 * are read as the socket reads them (query.ts). Other names (`callback`, `tag`,
 * `mip_opt_out`...) are accepted and ignored; `callback` is refused, as the host has no
 * callbacks and the audio would never arrive.
 *
 * Not produced: `aac` (no maintained pure-JS/wasm AAC encoder, as for OpenAI speech).
 */
import { parseDeepgramQuery, type QueryFault } from './query.ts';

export const REST_ENCODINGS = ['linear16', 'mulaw', 'alaw', 'mp3', 'opus', 'flac', 'aac'] as const;
export type RestEncoding = (typeof REST_ENCODINGS)[number];
export type RestContainer = 'wav' | 'none' | 'ogg';

interface Combination {
  containers: readonly RestContainer[];
  rates: readonly number[];
  /** Allowed bit rates: a list, or an inclusive range; undefined: not configurable. */
  bitRates?: readonly number[] | { min: number; max: number };
  defaultBitRate?: number;
}

/** Deepgram's combinations; the first container and rate are its defaults. */
export const COMBINATIONS: Readonly<Record<RestEncoding, Combination>> = {
  linear16: { containers: ['wav', 'none'], rates: [24000, 8000, 16000, 32000, 48000] },
  mulaw: { containers: ['wav', 'none'], rates: [8000, 16000] },
  alaw: { containers: ['wav', 'none'], rates: [8000, 16000] },
  mp3: { containers: ['none'], rates: [22050], bitRates: [48000, 32000], defaultBitRate: 48000 },
  opus: { containers: ['ogg'], rates: [48000], bitRates: { min: 4000, max: 650000 }, defaultBitRate: 12000 },
  flac: { containers: ['none'], rates: [48000, 8000, 16000, 22050, 32000], },
  aac: { containers: ['none'], rates: [22050], bitRates: { min: 4000, max: 192000 }, defaultBitRate: 48000 },
};

export interface RestSpeakSettings {
  model: string;
  voice: string;
  speed: number;
  encoding: RestEncoding;
  container: RestContainer;
  sampleRate: number;
  /** Bits per second, for the compressed encodings. */
  bitRate: number | undefined;
}

export type RestQueryResult = { ok: true; settings: RestSpeakSettings } | { ok: false; fault: QueryFault };

const bad = (param: string, message: string): RestQueryResult => ({ ok: false, fault: { code: 'invalid_format', param, message } });

function integer(value: unknown): number {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
}

function allowed(rates: Combination['bitRates'], n: number): boolean {
  if (rates === undefined) return false;
  return Array.isArray(rates) ? rates.includes(n) : n >= (rates as { min: number }).min && n <= (rates as { max: number }).max;
}

export function parseRestSpeakQuery(query: Record<string, unknown>): RestQueryResult {
  const voice = parseDeepgramQuery({ model: query.model, speed: query.speed });
  if (!voice.ok) return voice;
  if (query.callback !== undefined) {
    return { ok: false, fault: { code: 'invalid_request', param: 'callback', message: 'callback is not supported by this host: the audio is the response' } };
  }

  const name = query.encoding === undefined ? 'linear16' : typeof query.encoding === 'string' ? query.encoding.toLowerCase() : '';
  if (!(REST_ENCODINGS as readonly string[]).includes(name)) return bad('encoding', `encoding must be one of ${REST_ENCODINGS.join(', ')}`);
  const encoding = name as RestEncoding;
  if (encoding === 'aac') return bad('encoding', 'encoding "aac" is not supported by this host: there is no maintained pure-JS/wasm AAC encoder');
  const combo = COMBINATIONS[encoding];

  const container = query.container === undefined ? combo.containers[0]! : String(query.container).toLowerCase();
  if (!(combo.containers as readonly string[]).includes(container)) return bad('container', `container for ${encoding} must be one of ${combo.containers.join(', ')}`);

  const sampleRate = query.sample_rate === undefined ? combo.rates[0]! : integer(query.sample_rate);
  if (!combo.rates.includes(sampleRate)) return bad('sample_rate', `sample_rate for ${encoding} must be one of ${combo.rates.join(', ')}`);

  let bitRate = combo.defaultBitRate;
  if (query.bit_rate !== undefined) {
    const n = integer(query.bit_rate);
    if (!allowed(combo.bitRates, n)) {
      const range = combo.bitRates === undefined ? 'not configurable' : Array.isArray(combo.bitRates) ? `one of ${combo.bitRates.join(', ')}` : 'out of range';
      return bad('bit_rate', `bit_rate for ${encoding} is ${range}`);
    }
    bitRate = n;
  }

  const { model, voice: kokoro, speed } = voice.settings;
  return { ok: true, settings: { model, voice: kokoro, speed, encoding, container: container as RestContainer, sampleRate, bitRate } };
}
