/** Build a real SynthPool on the synthetic model for tests. */
import { Registry } from 'prom-client';
import { testConfig, type Config } from '../../src/config.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { SynthPool, type PoolLogger } from '../../src/synth/pool.ts';
import { STALL_MODEL, SYNTHETIC_MODEL } from '../../harness/paths.ts';

export { GENUINE_MODEL, NO_GENUINE_MODEL, ROOT, STALL_MODEL, SYNTHETIC_MODEL } from '../../harness/paths.ts';


export interface LogLine {
  level: string;
  obj: object;
  msg: string;
}

export function memoryLogger(lines: LogLine[] = []): PoolLogger & { lines: LogLine[] } {
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

export function poolConfig(overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  return testConfig({
    modelPath: SYNTHETIC_MODEL,
    stallModelPath: STALL_MODEL,
    faultInjection: true,
    workers: 2,
    threadsPerWorker: 1,
    canaryIntervalMs: 60_000,
    ...overrides,
  });
}

export async function startPool(overrides: Partial<Record<keyof Config, unknown>> = {}): Promise<{
  pool: SynthPool;
  metrics: Metrics;
  log: ReturnType<typeof memoryLogger>;
  config: Config;
}> {
  const config = poolConfig(overrides);
  const metrics = createMetrics(new Registry());
  const log = memoryLogger();
  const pool = new SynthPool(config, metrics, log);
  await pool.start();
  return { pool, metrics, log, config };
}

/** Resolves on the next matching event, or rejects after `ms`. */
export function nextEvent<T>(emitter: NodeJS.EventEmitter, name: string, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, on);
      reject(new Error(`no '${name}' within ${ms} ms`));
    }, ms);
    const on = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    emitter.once(name, on);
  });
}

/** Resolves once every worker of the plan has the model loaded (event-driven, bounded). */
export async function planRestored(pool: SynthPool, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (pool.health().loadedWorkers < pool.plan.workers) {
    await nextEvent(pool, 'worker_loaded', Math.max(1, deadline - performance.now()));
  }
}

/** Settles every promise; returns each outcome as the value or the error code. */
export async function outcomes<T>(promises: Promise<T>[]): Promise<(T | string)[]> {
  const settled = await Promise.allSettled(promises);
  return settled.map((s) => (s.status === 'fulfilled' ? s.value : String((s.reason as { code?: string }).code ?? s.reason)));
}

/** True for a synthesis result that carries audio (outcomes() turns failures into their codes). */
export function hasAudio(outcome: unknown): boolean {
  const a = outcome as { pcm?: Float32Array; sampleRate?: number } | null;
  return typeof a === 'object' && a !== null && a.pcm instanceof Float32Array && a.pcm.length > 0 && a.sampleRate === 24_000;
}
