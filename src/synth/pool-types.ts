/**
 * The narrow face the gateway sees of the synthesis pool: synthesize, report health,
 * close. Implemented by `SynthPool` (src/synth/pool.ts).
 */
import type { EventEmitter } from 'node:events';
import type { RuntimeInfo } from '../runtime/types.ts';
import type { CostCurve } from './cost-model.ts';
import type { Synthesizer } from './types.ts';

export interface PoolPlan {
  /** vCPUs the process may really use (cgroup quota, cpuset, availableParallelism). */
  vcpus: number;
  workers: number;
  threadsPerWorker: number;
  /** Where the plan came from: the default table, or an override. */
  source: 'default' | 'override';
}

export interface ZombieInfo {
  threadId: number;
  ageMs: number;
  /**
   * `terminated`: terminate() was called and the thread has not exited yet.
   * `native`: the thread passed its run deadline inside onnxruntime's native code and was
   * abandoned, not terminated (terminating it there aborts the process): it counts until
   * the native call returns.
   */
  kind: 'terminated' | 'native';
}

export interface PoolHealth {
  /** True when the pool can synthesize now. */
  ready: boolean;
  /** Why not, as stable machine-readable strings: `warming`, `workers_below_plan`, `worker_zombie`, `canary_failed`, `canary_stale`, `closing`, `model_load_failed`. */
  reasons: string[];
  plan: PoolPlan;
  liveWorkers: number;
  loadedWorkers: number;
  busyWorkers: number;
  /** The share of the planned workers busy lately (an exponential average over ~10 s), 0..1. */
  utilization: number;
  queueDepth: number;
  /** Tasks queued or running, over every owner. */
  inFlight: number;
  zombies: ZombieInfo[];
  respawns: number;
  lastCanary: { ok: boolean; at: number; ms: number; error?: string } | null;
}

/**
 * Events: `worker_loaded` (threadId) each time a worker has loaded and warmed the model;
 * `zombie_escalation` ({ threadId, ageMs }) when a terminated worker outlives the zombie grace;
 * `zombies_changed` (count) when a worker becomes a zombie or a zombie's thread finally exits;
 * `workers_changed` (live count) when a worker thread exits.
 */
export interface SynthPoolHandle extends Synthesizer, EventEmitter {
  /** The onnxruntime the workers run, once one has loaded. */
  readonly runtime?: RuntimeInfo | undefined;
  /** True when the workers time words (the model gives durations); absent or false: `ready.timestamps: false`. */
  readonly timesWords?: boolean;
  /** Resolves when every worker has loaded and warmed the model; rejects with `model_load_failed`. */
  start(): Promise<void>;
  health(): PoolHealth;
  /** What a chunk costs on this model and plan (src/synth/cost-model.ts); null before anything was measured. */
  costCurve?(): CostCurve | null;
  /** Drops every queued task of `owner` (user cancel or disconnect); running ones finish and are discarded by their callers. */
  cancelOwner(owner: string): number;
  /** Graceful: no new work, queued work rejected with `shutting_down`, running work finishes, workers end. */
  close(): Promise<void>;
}

/** Where the pool and its parts log (the host's pino logger, or a test's memory logger). */
export interface PoolLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
