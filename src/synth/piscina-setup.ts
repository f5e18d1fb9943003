/**
 * How the pool's Piscina is built: what every worker is told at start (the thread
 * protocol's WorkerInit) and the pool options, with why each is what it is.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Config } from '../config.ts';
import type { WorkerInit } from '../shared/protocol.ts';
import type { PoolPlan } from './pool-types.ts';

const workerFile = (name: string) => fileURLToPath(new URL(`../../workers/${name}${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
/** The production worker; it carries no test hooks. */
const WORKER_FILE = workerFile('synth.worker');
/** The same worker wrapped with the fault markers of workers/faults.ts (KOKORO_FAULT_INJECTION=1 only). */
const FAULTS_WORKER_FILE = workerFile('synth.faults.worker');

/** How long every planned worker has to load the model before start() fails with model_load_failed. */
export const START_TIMEOUT_MS = 180_000;
/** How long an extra thread (spawned beside one stuck in native code) may idle before Piscina retires it. */
export const IDLE_THREAD_MS = 5_000;

export function workerInit(config: Config, plan: PoolPlan, slots: SharedArrayBuffer): WorkerInit {
  return {
    modelPath: config.modelPath,
    intraOpThreads: plan.threadsPerWorker,
    enableCpuMemArena: config.enableCpuMemArena,
    faultInjection: config.faultInjection,
    silenceThresholdDbfs: config.silenceThresholdDbfs,
    ...(config.stallModelPath !== undefined ? { stallModelPath: config.stallModelPath } : {}),
    nativeSlots: slots,
    calibration: new SharedArrayBuffer(4),
    ort: { choice: config.ort, cacheRoot: config.ortDir },
    wordTiming: config.wordTiming,
    ...(config.modelCacheDir !== undefined ? { modelCacheDir: config.modelCacheDir } : {}),
  };
}

export function createPiscina(config: Config, plan: PoolPlan, init: WorkerInit, maxThreads: number): Piscina {
  return new Piscina({
    filename: config.faultInjection ? FAULTS_WORKER_FILE : WORKER_FILE,
    minThreads: plan.workers,
    // Headroom above the plan for threads abandoned in native code; idle extras retire.
    maxThreads,
    idleTimeout: IDLE_THREAD_MS,
    // We only hand Piscina work when a worker is free; its queue only covers a respawn.
    maxQueue: maxThreads,
    workerData: init,
    resourceLimits: { maxOldGenerationSizeMb: config.workerHeapMb },
    closeTimeout: config.shutdownGraceMs,
    recordTiming: false,
    // Piscina's default ('sync') halts an idle worker's event loop in Atomics.wait, so an
    // error a worker raises after its task (a timer, a late rejection: matrix A6) would
    // only surface when the next chunk arrives, and kill that chunk. 'async' keeps the
    // loop turning between tasks: the thread dies while idle and is replaced. The cost, a
    // microtask hop per task, is nothing beside a chunk's tens of milliseconds.
    atomics: 'async',
  });
}

/** The wait between two tries at replacing a worker that keeps failing to load: Fibonacci × 100 ms, capped. */
export function respawnBackoffMs(failures: number, maxMs: number): number {
  let [a, b] = [1, 1];
  for (let i = 1; i < failures; i++) [a, b] = [b, a + b];
  return Math.min(maxMs, 100 * a);
}
