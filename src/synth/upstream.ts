/**
 * The fallback provider: an OpenAI-compatible `POST /v1/audio/speech` endpoint, asked for
 * WAV and brought to the host's format (mono float32 at 24 kHz) whatever it returns.
 *
 *   non-2xx, network error, bad WAV, body too big -> tts_chunk_failed
 *   our own deadline (`timeoutMs`, whole request) -> tts_chunk_timeout
 *   the caller's AbortSignal                       -> cancelled
 */
import { TtsError } from '../errors.ts';
import { AudioFormatError, parseWav, resample } from '../common/audio.ts';
import type { SynthesizeRequest, SynthesizedAudio, Synthesizer } from './types.ts';

export const HOST_SAMPLE_RATE = 24000;
const SPEECH_PATH = '/v1/audio/speech';
const DEFAULT_MAX_RESPONSE_BYTES = 32 << 20;
const ERROR_SNIPPET_BYTES = 300;

export interface UpstreamOptions {
  /** Base URL, with or without `/v1` or `/v1/audio/speech`. */
  url: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  /** Kokoro voice -> the upstream's voice name. Default: unchanged. */
  voiceMap?: (voice: string) => string;
  /** Larger responses fail the chunk (a 510-token chunk is ~3 MB of 48 kHz stereo s16). */
  maxResponseBytes?: number;
}

/** `https://h/`, `https://h/v1` and `https://h/v1/audio/speech` all mean the same endpoint. */
export function speechEndpoint(url: string): string {
  const base = url.replace(/\/+$/, '');
  if (base.endsWith(SPEECH_PATH)) return base;
  if (base.endsWith('/v1')) return `${base}/audio/speech`;
  return `${base}${SPEECH_PATH}`;
}

export class UpstreamSpeechProvider implements Synthesizer {
  readonly #endpoint: string;
  readonly #opts: UpstreamOptions;

  constructor(opts: UpstreamOptions) {
    this.#endpoint = speechEndpoint(opts.url);
    this.#opts = opts;
  }

  get endpoint(): string {
    return this.#endpoint;
  }

  async synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    if (req.signal?.aborted === true) throw new TtsError('cancelled', 'cancelled before the upstream request');
    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#opts.timeoutMs);
    const onCallerAbort = () => controller.abort();
    req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const body = await this.#fetchWav(req, controller.signal);
      const wav = parseWav(body);
      const pcm = wav.sampleRate === HOST_SAMPLE_RATE ? wav.pcm : resample(wav.pcm, wav.sampleRate, HOST_SAMPLE_RATE);
      return { pcm, sampleRate: HOST_SAMPLE_RATE, queueMs: 0, synthMs: performance.now() - started, provider: 'upstream' };
    } catch (err) {
      if (err instanceof TtsError) throw err;
      if (timedOut) throw new TtsError('tts_chunk_timeout', `the upstream gave no audio within ${this.#opts.timeoutMs} ms`, { cause: err });
      if (isAborted(req.signal)) throw new TtsError('cancelled', 'cancelled by the caller', { cause: err });
      if (err instanceof AudioFormatError) throw new TtsError('tts_chunk_failed', `the upstream sent bad audio: ${err.message}`, { cause: err });
      throw new TtsError('tts_chunk_failed', `the upstream request failed: ${describe(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async #fetchWav(req: SynthesizeRequest, signal: AbortSignal): Promise<Uint8Array> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'audio/wav' };
    if (this.#opts.apiKey !== undefined && this.#opts.apiKey !== '') headers.authorization = `Bearer ${this.#opts.apiKey}`;
    const res = await fetch(this.#endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: this.#opts.model,
        input: req.text,
        voice: this.#opts.voiceMap?.(req.voice) ?? req.voice,
        response_format: 'wav',
        speed: req.speed,
      }),
      signal,
    });
    if (!res.ok) {
      const snippet = await readBody(res, ERROR_SNIPPET_BYTES, false).catch(() => new Uint8Array());
      const text = Buffer.from(snippet).toString('utf8').replace(/\s+/g, ' ').trim();
      throw new TtsError('tts_chunk_failed', `the upstream answered HTTP ${res.status}${text === '' ? '' : `: ${text}`}`);
    }
    return readBody(res, this.#opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, true);
  }
}

/** The body up to `limit` bytes: past it, fail (strict) or stop reading (a diagnostic snippet). */
async function readBody(res: Response, limit: number, strict: boolean): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (strict && declared > limit) {
    await res.body?.cancel();
    throw new TtsError('tts_chunk_failed', `the upstream audio is ${declared} bytes, over the ${limit}-byte limit`);
  }
  if (res.body === null) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
      if (size > limit) {
        if (strict) throw new TtsError('tts_chunk_failed', `the upstream audio passed the ${limit}-byte limit`);
        break;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(parts, size);
}

/** Read afresh (TypeScript would keep the narrowing from before an await). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? ` (${String(cause.code)})` : '';
  return `${err.message}${code}`;
}
