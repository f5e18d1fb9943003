/**
 * HTTP for the bench: a streamed POST that reports time to first byte, small GETs, and
 * the liveness prober that runs beside every load.
 */
import { Agent, request } from 'node:http';
import { summarize, type Summary } from './stats.ts';

export interface PostResult {
  status: number;
  /** ms to the first body byte; NaN when none came. */
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  error?: string;
}

/**
 * POSTs `body` as JSON and reads the streamed answer, calling `onBytes` per body chunk.
 * An aborted or failed request resolves (never rejects) with `error` set.
 */
export function postStream(url: string, body: unknown, opts: { agent?: Agent; signal?: AbortSignal; timeoutMs: number; onBytes?: (n: number, chunk: Buffer) => void }): Promise<PostResult> {
  const payload = Buffer.from(JSON.stringify(body));
  const t0 = performance.now();
  return new Promise((resolve) => {
    const result: PostResult = { status: 0, ttfbMs: NaN, totalMs: NaN, bytes: 0 };
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.totalMs = performance.now() - t0;
      if (error !== undefined) result.error = error;
      resolve(result);
    };
    const req = request(url, {
      method: 'POST',
      agent: opts.agent,
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no complete answer within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on('error', (err) => finish(err.message));
    req.on('response', (res) => {
      result.status = res.statusCode ?? 0;
      res.on('data', (chunk: Buffer) => {
        if (result.bytes === 0) result.ttfbMs = performance.now() - t0;
        result.bytes += chunk.length;
        if (result.status === 200) opts.onBytes?.(chunk.length, chunk);
      });
      res.on('end', () => finish(result.status === 200 ? undefined : `HTTP ${result.status}`));
      res.on('error', (err) => finish(err.message));
      res.on('aborted', () => finish('response aborted'));
    });
    req.end(payload);
  });
}

export async function getText(url: string, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

export async function getJson<T>(url: string, timeoutMs = 5000): Promise<T> {
  const { status, text } = await getText(url, timeoutMs);
  if (status !== 200) throw new Error(`GET ${url}: HTTP ${status}`);
  return JSON.parse(text) as T;
}

export interface ProbeSummary extends Summary {
  /** Probes that failed or did not answer within the probe timeout (counted at the timeout). */
  failed: number;
}

/**
 * GETs `url` every `intervalMs`, each on a new connection (as a supervisor's liveness
 * probe does), whatever the previous probe is doing. A blocked event loop shows up as
 * latency here. In-flight probes are capped so a frozen server cannot pile them up.
 */
export class Prober {
  readonly #url: string;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #latencies: number[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #failed = 0;
  #timer: NodeJS.Timeout | undefined;
  static readonly MAX_IN_FLIGHT = 100;

  constructor(url: string, intervalMs = 100, timeoutMs = 10_000) {
    this.#url = url;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  start(): void {
    this.#timer = setInterval(() => this.#probe(), this.#intervalMs);
  }

  /** Stops probing, waits for the probes in flight (each bounded by its timeout). */
  async stop(): Promise<ProbeSummary> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#inFlight);
    return { ...summarize(this.#latencies), failed: this.#failed };
  }

  #probe(): void {
    if (this.#inFlight.size >= Prober.MAX_IN_FLIGHT) return;
    const t0 = performance.now();
    const p = new Promise<void>((resolve) => {
      const req = request(this.#url, { agent: false, timeout: this.#timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) this.#latencies.push(performance.now() - t0);
          else this.#fail();
          resolve();
        });
        res.on('error', () => {
          this.#fail();
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('probe timeout')));
      req.on('error', () => {
        this.#fail();
        resolve();
      });
      req.end();
    });
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  #fail(): void {
    this.#failed++;
    this.#latencies.push(this.#timeoutMs);
  }
}
