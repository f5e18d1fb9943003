/**
 * LoadClients for the two ways in: one WebSocket session per client (turns with `speak`),
 * or one HTTP request per turn (POST /v1/audio/speech, streamed pcm; the naive server's
 * POST /speak has the same shape).
 */
import { Agent } from 'node:http';
import { hasAudibleS16 } from './audible.ts';
import { postStream } from './http-client.ts';
import { SAMPLE_RATE, type LoadClient, type TurnSample } from './load.ts';
import { playInRealTime } from './playback.ts';
import { WsConn } from './ws-client.ts';

/** A turn that produced no audio: nothing was heard, nothing could stall. */
const SILENT = { audibleMs: NaN, underruns: 0, stallMs: 0 };

/** A turn that takes longer than this is a failure, not a figure. */
export const TURN_TIMEOUT_MS = 120_000;
/** A cancel the host leaves unanswered this long ends the connection instead. */
const CANCEL_GRACE_MS = 5000;
const BYTES_PER_SAMPLE = 2;

export class WsLoadClient implements LoadClient {
  readonly #url: string;
  #conn: WsConn | undefined;
  #current: string | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  /** Text streamed as an LLM does, this many ~4-character pieces a second; undefined: one `speak`. */
  readonly #streamRate: number | undefined;

  private constructor(url: string, conn: WsConn, streamRate: number | undefined) {
    this.#url = url;
    this.#conn = conn;
    this.#streamRate = streamRate;
  }

  static async open(url: string, streamRate?: number): Promise<WsLoadClient> {
    return new WsLoadClient(url, await WsConn.open(url), streamRate);
  }

  async turn(id: string, text: string, onAudio: (samples: number) => void): Promise<TurnSample> {
    const startedAt = performance.now();
    if (this.#conn === undefined || !this.#conn.open) {
      // The previous turn lost its connection: open a new one, as a client would.
      try {
        this.#conn = await WsConn.open(this.#url);
      } catch (err) {
        return { ok: false, startedAt, ttfaMs: NaN, ...SILENT, endMs: performance.now() - startedAt, audioS: 0, error: err instanceof Error ? err.message : String(err) };
      }
    }
    const conn = this.#conn;
    this.#current = id;
    const timer = setTimeout(() => this.abort(), TURN_TIMEOUT_MS);
    const r = await (this.#streamRate === undefined ? conn.speak(id, text, onAudio) : conn.stream(id, text, this.#streamRate, onAudio));
    clearTimeout(timer);
    clearTimeout(this.#killTimer);
    this.#current = undefined;
    const clean = r.outcome === 'done' && r.done?.failed === 0 && r.errors.length === 0 && r.mismatches === 0;
    const error = clean ? undefined : r.outcome !== 'done' ? `ws turn ${r.outcome}${r.errors[0] ? ` (${r.errors[0].code})` : ''}` : `ws chunk errors: ${r.errors.map((e) => e.code).join(',') || 'frame mismatch'}`;
    const played = playInRealTime(r.arrivals, SAMPLE_RATE);
    return { ok: clean, startedAt, ttfaMs: r.ttfaMs, audibleMs: r.audibleMs, ...played, endMs: r.endMs, audioS: r.samples / SAMPLE_RATE, ...(error !== undefined ? { error } : {}) };
  }

  /** Cancels the turn in flight; a host that does not answer loses the connection. */
  abort(): void {
    const conn = this.#conn;
    if (this.#current === undefined || conn === undefined) return;
    conn.cancel(this.#current);
    clearTimeout(this.#killTimer);
    this.#killTimer = setTimeout(() => conn.terminate(), CANCEL_GRACE_MS);
  }

  async close(): Promise<void> {
    await this.#conn?.close();
  }
}

export class HttpLoadClient implements LoadClient {
  readonly #url: string;
  readonly #body: (text: string) => unknown;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  #controller: AbortController | undefined;

  /** `body` builds the request for one text (the host's OpenAI shape, or the naive server's). */
  constructor(url: string, body: (text: string) => unknown) {
    this.#url = url;
    this.#body = body;
  }

  async turn(_id: string, text: string, onAudio: (samples: number) => void): Promise<TurnSample> {
    const startedAt = performance.now();
    this.#controller = new AbortController();
    const arrivals: Array<{ atMs: number; samples: number }> = [];
    let audibleMs = NaN;
    let bytes = 0;
    const r = await postStream(this.#url, this.#body(text), {
      agent: this.#agent,
      signal: this.#controller.signal,
      timeoutMs: TURN_TIMEOUT_MS,
      onBytes: (n, chunk) => {
        const atMs = performance.now() - startedAt;
        // A body chunk may start mid-sample: read samples from the first whole one.
        if (Number.isNaN(audibleMs) && hasAudibleS16(chunk, bytes % BYTES_PER_SAMPLE)) audibleMs = atMs;
        bytes += n;
        arrivals.push({ atMs, samples: n / BYTES_PER_SAMPLE });
        onAudio(n / BYTES_PER_SAMPLE);
      },
    });
    this.#controller = undefined;
    const ok = r.error === undefined && r.status === 200 && r.bytes > 0;
    return {
      ok,
      startedAt,
      ttfaMs: r.ttfbMs,
      audibleMs,
      ...playInRealTime(arrivals, SAMPLE_RATE),
      endMs: r.totalMs,
      audioS: r.bytes / BYTES_PER_SAMPLE / SAMPLE_RATE,
      ...(ok ? {} : { error: `http ${r.error ?? (r.bytes === 0 ? 'empty body' : `status ${r.status}`)}` }),
    };
  }

  abort(): void {
    this.#controller?.abort();
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }
}

/** The host's OpenAI-compatible request for `text`. */
export const speechBody = (text: string) => ({ model: 'kokoro', input: text, voice: 'af_heart', response_format: 'pcm' });
