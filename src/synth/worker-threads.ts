/**
 * The pool's threads: Piscina, built and started here (piscina-setup.ts), every thread
 * adopted into the ThreadTable as it appears and forgotten when it exits, the worker
 * events that say a thread loaded the model or failed to, the respawn backoff for a
 * replacement that cannot load, recycling for memory, and the end of it all at close.
 *
 * What a thread does with a chunk is the pool's business (pool.ts): this part only tells
 * it, through WorkerThreadHooks, when capacity may have changed.
 */
import type { Piscina } from 'piscina';
import type { Config } from '../config.ts';
import { TtsError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { claimForTermination, createSlots, releaseSlot } from '../shared/native-slots.ts';
import { isWorkerEvent, type SynthRequest, type SynthResult, type WordTimingSupport, type WorkerEvent } from '../shared/protocol.ts';
import type { RuntimeInfo } from '../runtime/types.ts';
import { createPiscina, respawnBackoffMs, START_TIMEOUT_MS, workerInit } from './piscina-setup.ts';
import type { HealthTracker } from './pool-health.ts';
import type { PoolPlan } from './pool-types.ts';
import { noteRuntime } from './runtime-note.ts';
import { ThreadTable } from './thread-table.ts';

export type LoadedEvent = Extract<WorkerEvent, { type: 'loaded' }>;
export type StartedEvent = Extract<WorkerEvent, { type: 'started' }>;

export interface WorkerThreadHooks {
  /** A thread appeared, loaded or exited: work may be dispatched, gauges refreshed. */
  capacityChanged(): void;
  /** A thread loaded and warmed the model; what its warm-up measured (cost-model.ts). */
  calibrated(event: LoadedEvent): void;
  /** Every planned worker has loaded: start() resolves. */
  ready(): void;
  /** After the above: a thread has loaded (the pool's 'worker_loaded'). */
  workerLoaded(threadId: number): void;
  /** A worker started a task: its run deadline is armed from now. */
  taskStarted(event: StartedEvent): void;
  /** A thread exited; `live` threads remain. */
  exited(live: number): void;
}

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class WorkerThreads {
  /** The native-code handshake (src/shared/native-slots.ts), one slot per live worker. */
  readonly slots = new Int32Array(createSlots());
  readonly table = new ThreadTable();
  readonly maxThreads: number;
  readonly #config: Config;
  readonly #plan: PoolPlan;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #health: HealthTracker;
  readonly #hooks: WorkerThreadHooks;
  #piscina: Piscina | undefined;
  #startWaiter: { resolve(): void; reject(err: TtsError): void } | undefined;
  #recycling: number | null = null;
  #respawnFailures = 0;
  #closing = false;
  #runtime: RuntimeInfo | undefined;
  #timing: WordTimingSupport | undefined;

  constructor(config: Config, plan: PoolPlan, metrics: Metrics, log: Logger, health: HealthTracker, hooks: WorkerThreadHooks) {
    this.#config = config;
    this.#plan = plan;
    this.#metrics = metrics;
    this.#log = log;
    this.#health = health;
    this.#hooks = hooks;
    // Headroom above the plan for threads abandoned in native code; idle extras retire.
    this.maxThreads = plan.workers * 2;
  }

  get runtime(): RuntimeInfo | undefined {
    return this.#runtime;
  }

  /** Whether the workers time words, as the last one to load reported (they all load the same model); undefined before any loaded. */
  get timing(): WordTimingSupport | undefined {
    return this.#timing;
  }

  /** Resolves when every planned worker has loaded the model; rejects with model_load_failed. */
  start(): Promise<void> {
    if (this.#piscina !== undefined) throw new Error('pool already started');
    const piscina = createPiscina(this.#config, this.#plan, workerInit(this.#config, this.#plan, this.slots.buffer as SharedArrayBuffer), this.maxThreads);
    this.#piscina = piscina;
    piscina.on('message', (msg: unknown) => {
      if (isWorkerEvent(msg)) this.#onWorkerEvent(msg);
    });
    piscina.on('workerCreate', (worker: { id: number }) => {
      this.table.markCreated(worker.id);
      this.#adoptThreads();
      this.#hooks.capacityChanged();
    });
    piscina.on('error', (err: Error) => {
      // Always handled: an unhandled pool 'error' would kill the host (matrix A6).
      this.#metrics.poolErrors.inc();
      this.#log.error({ err: { message: err.message } }, 'worker pool error');
      // A worker that cannot even start (its module fails to import) would be respawned
      // forever by Piscina: at start-up that is a load failure, reported at once.
      if (this.#startWaiter !== undefined) {
        this.#startFailed(new TtsError('model_load_failed', `a worker failed to start: ${err.message}`), err.message);
        void piscina.destroy();
      }
    });
    this.#adoptThreads();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#startWaiter = undefined;
        reject(new TtsError('model_load_failed', `workers did not load the model within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const settle = () => clearTimeout(timer);
      this.#startWaiter = { resolve: () => (settle(), resolve()), reject: (err) => (settle(), reject(err)) };
    });
  }

  /** Threads that may take a task now; `abandoned`: some thread is stuck in native code. */
  capacity(abandoned: boolean): number {
    if (this.#recycling !== null || this.#piscina === undefined || this.#startWaiter !== undefined) return 0;
    // While a thread is abandoned in native code, serve the full plan: Piscina spawns an
    // extra thread beside the stuck one. Otherwise only loaded workers take work, so a
    // crashed worker's replacement is awaited instead of doubled.
    if (abandoned) return this.#plan.workers;
    return Math.min(this.#plan.workers, this.table.serving);
  }

  run(task: SynthRequest, signal: AbortSignal): Promise<SynthResult> {
    return this.#piscina!.run(task, { signal });
  }

  /** Past the RSS ceiling, retire one idle worker (its native arenas go with it); the caller knows none is busy. */
  recycleIfOverCeiling(): void {
    if (this.#recycling !== null || this.#closing) return;
    if (process.memoryUsage.rss() < this.#config.rssCeilingMb * 1024 * 1024) return;
    const first = this.table.first();
    if (first === undefined) return;
    if (!claimForTermination(this.slots, this.table.slotOf(first.threadId) ?? -1)) return;
    this.#recycling = first.threadId;
    this.#metrics.recycles.inc();
    this.#log.info({ threadId: first.threadId, rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20) }, 'recycling a worker for memory');
    void first.worker.terminate();
  }

  /** No start is awaited any more, no replacement is retired or recycled. */
  beginClose(): void {
    this.#closing = true;
    this.#startWaiter?.reject(new TtsError('shutting_down', 'the pool closed while starting'));
  }

  /** After the running chunks: end the threads, unless one is inside native code. */
  async close(): Promise<void> {
    const piscina = this.#piscina;
    if (piscina === undefined) return;
    const inNative = this.table.inNative(this.slots);
    if (inNative > 0) {
      // Terminating them would abort the process when their calls return: leave them to
      // the process's owner (src/server.ts ends it with SIGKILL), and keep counting them.
      this.#log.error({ threads: inNative }, 'worker threads still inside native code at shutdown; not terminating them');
      return;
    }
    // A terminated zombie never answers terminate(); do not let it hold the shutdown.
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.#config.shutdownGraceMs + 1000).unref());
    await Promise.race([piscina.close().catch(() => undefined), grace]);
  }

  #startFailed(err: TtsError, reason: string): void {
    const waiter = this.#startWaiter;
    this.#startWaiter = undefined;
    this.#health.markLoadFailed(reason);
    waiter?.reject(err);
  }

  #onWorkerEvent(event: WorkerEvent): void {
    switch (event.type) {
      case 'started':
        this.table.setSlot(event.threadId, event.slot);
        this.#hooks.taskStarted(event);
        return;
      case 'loaded':
        this.table.markLoaded(event.threadId, event.slot);
        this.#respawnFailures = 0;
        noteRuntime(this.#runtime, event.runtime, this.#metrics, this.#log);
        this.#runtime = event.runtime;
        this.#noteTiming(event.timing);
        this.#hooks.calibrated(event);
        this.#log.info({ threadId: event.threadId, loadMs: Math.round(event.loadMs), inputs: event.inputNames }, 'worker loaded model');
        if (this.#startWaiter !== undefined && this.table.loaded >= this.#plan.workers) {
          const waiter = this.#startWaiter;
          this.#startWaiter = undefined;
          this.#health.markStarted();
          waiter.resolve();
          this.#hooks.ready();
        }
        this.#hooks.workerLoaded(event.threadId);
        this.#hooks.capacityChanged();
        return;
      case 'load_failed':
        this.#onLoadFailed(event);
        return;
    }
  }

  /** Logs what changed: a host that cannot time words says why, once, with a code. */
  #noteTiming(timing: WordTimingSupport): void {
    const before = this.#timing;
    this.#timing = timing;
    if (before !== undefined && before.ok === timing.ok) return;
    if (!timing.ok && timing.reason === 'not_requested') this.#log.info({}, 'word timing off (KOKORO_WORD_TIMING=0)');
    else if (timing.ok) this.#log.info({ durations: timing.output, prepared: timing.prepared }, 'word timing available: the model gives per-token durations');
    else this.#log.warn({ code: 'word_timing_unavailable', reason: timing.reason, detail: timing.message }, 'word timing unavailable: the model gives no durations; synthesis continues untimed');
  }

  #onLoadFailed(event: Extract<WorkerEvent, { type: 'load_failed' }>): void {
    this.table.setSlot(event.threadId, event.slot);
    this.#log.error({ threadId: event.threadId, reason: event.message }, 'worker failed to load the model');
    if (this.#startWaiter !== undefined) return this.#startFailed(new TtsError('model_load_failed', event.message), event.message);
    // A replacement could not load: retire it after a Fibonacci backoff so Piscina spawns
    // another, instead of hot-looping model loads (matrix A9).
    this.#respawnFailures++;
    const timer = setTimeout(() => {
      const worker = this.table.worker(event.threadId);
      if (worker !== undefined && !this.#closing && claimForTermination(this.slots, event.slot)) void worker.terminate();
    }, respawnBackoffMs(this.#respawnFailures, this.#config.respawnBackoffMaxMs));
    timer.unref();
  }

  #adoptThreads(): void {
    for (const worker of this.#piscina?.threads ?? []) {
      const threadId = worker.threadId;
      if (threadId < 0 || !this.table.adopt(worker)) continue;
      worker.once('exit', () => this.#onThreadExit(threadId));
    }
    this.#hooks.capacityChanged();
  }

  #onThreadExit(threadId: number): void {
    // Above the plan, an exit is Piscina retiring an idle extra thread, not a respawn.
    const extra = this.table.live > this.#plan.workers;
    const slot = this.table.exit(threadId);
    if (slot !== undefined) releaseSlot(this.slots, slot);
    if (this.#recycling === threadId) this.#recycling = null;
    if (!this.#closing && !extra) this.#health.recordRespawn();
    this.#log.info({ threadId, live: this.table.live }, extra ? 'extra worker thread retired' : 'worker thread exited');
    // Piscina spawns the replacement; adopt it once it exists.
    queueMicrotask(() => this.#adoptThreads());
    this.#hooks.exited(this.table.live);
  }
}
