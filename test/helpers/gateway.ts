/**
 * Gateway test harness: a started host on 127.0.0.1 (port 0) over a fake or real pool,
 * and a small WebSocket client that records every frame and lets a test await the
 * next one matching a predicate (bounded waits, no sleeps).
 */
import { existsSync } from 'node:fs';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.ts';
import { testConfig, type Config } from '../../src/config.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import type { SynthPoolHandle } from '../../src/synth/pool-types.ts';
import { SynthPool } from '../../src/synth/pool.ts';
import { FakePool, type FakePoolOptions } from './fake-pool.ts';
import { Inbox } from './inbox.ts';
import { memoryLogger, SYNTHETIC_MODEL } from './pool.ts';

export interface Host<P extends SynthPoolHandle = FakePool> {
  app: Awaited<ReturnType<typeof buildApp>>;
  pool: P;
  metrics: Metrics;
  config: Config;
  base: string;
  wsUrl: string;
}

export function gatewayConfig(overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  return testConfig({ logLevel: 'silent', host: '127.0.0.1', port: 0, ...overrides });
}

export async function startHost(
  t: Test,
  overrides: Partial<Record<keyof Config, unknown>> = {},
  poolOptions: FakePoolOptions = {},
): Promise<Host> {
  return startHostWith(t, new FakePool(poolOptions), overrides);
}

export async function startHostWith<P extends SynthPoolHandle>(
  t: Test,
  pool: P,
  overrides: Partial<Record<keyof Config, unknown>> = {},
  metrics: Metrics = createMetrics(new Registry()),
): Promise<Host<P>> {
  const config = gatewayConfig(overrides);
  const app = await buildApp(config, { pool, metrics });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, pool, metrics, config, base: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/v1/tts/ws` };
}

/** The gateway over a REAL SynthPool (one worker, one thread) on the synthetic model, started and loaded. */
export async function startRealPoolHost(t: Test): Promise<Host<SynthPool>> {
  if (!existsSync(SYNTHETIC_MODEL)) throw new Error(`the synthetic model is missing at ${SYNTHETIC_MODEL}: run npm run model:synthetic`);
  // Fixed chunk schedule: sizes from the measured cost curve depend on the machine's speed (host-process.ts BASE_ENV).
  const overrides = { modelPath: SYNTHETIC_MODEL, workers: 1, threadsPerWorker: 1, canaryIntervalMs: 60_000, chunkSizing: false };
  const metrics = createMetrics(new Registry());
  const pool = new SynthPool(gatewayConfig(overrides), metrics, memoryLogger());
  // The app owns the pool (its onClose closes it), so the teardown covers a failed start too.
  const host = await startHostWith(t, pool, overrides, metrics);
  await pool.start();
  return host;
}

export type Frame = { kind: 'json'; data: Record<string, unknown> } | { kind: 'binary'; data: Buffer };

export class WsClient {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #inbox = new Inbox<Frame>('frame');

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.#inbox.push(isBinary ? { kind: 'binary', data: Buffer.from(data) } : { kind: 'json', data: JSON.parse(data.toString()) as Record<string, unknown> });
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        this.#inbox.end();
      });
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new WsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          req.destroy();
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode, body }));
        });
      });
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Every frame received so far. */
  get frames(): readonly Frame[] {
    return this.#inbox.items;
  }

  /** The next unread frame matching `match` (frames before it are consumed too). */
  next(match: (f: Frame) => boolean = () => true, ms = 10_000): Promise<Frame> {
    return this.#inbox.next(match, ms);
  }

  /** The next JSON frame of this type. */
  async json(type: string, ms?: number): Promise<Record<string, unknown>> {
    const f = await this.next((f) => f.kind === 'json' && f.data.type === type, ms);
    return (f as { data: Record<string, unknown> }).data;
  }

  /** Every frame up to and including the next JSON frame matching `match`. */
  until(match: (d: Record<string, unknown>) => boolean, ms = 10_000): Promise<Frame[]> {
    return this.#inbox.until((f) => f.kind === 'json' && match(f.data), ms);
  }

  close(): void {
    this.ws.close();
  }
}

export function jsonFrames(frames: readonly Frame[]): Record<string, unknown>[] {
  return frames.filter((f) => f.kind === 'json').map((f) => f.data as Record<string, unknown>);
}

/** tts_meta frames paired with the binary frame that follows each. */
export function audioChunks(frames: readonly Frame[]): Array<{ meta: Record<string, unknown>; pcm: Buffer }> {
  const out: Array<{ meta: Record<string, unknown>; pcm: Buffer }> = [];
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (f.kind === 'json' && f.data.type === 'tts_meta') {
      const next = frames[i + 1];
      if (next?.kind !== 'binary') throw new Error('tts_meta not followed by a binary frame');
      out.push({ meta: f.data, pcm: next.data });
    }
  }
  return out;
}
