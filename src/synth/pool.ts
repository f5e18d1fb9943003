/**
 * The synthesis pool: the one part of the host that must not hang.
 *
 *   synthesize() -> validate -> FairQueue (bounded, fair across owners, queue deadline)
 *                -> dispatch when a worker is free -> Piscina.run(task, { signal })
 *   worker 'started' event -> run deadline armed (queue wait never counts)
 *   run deadline expires   -> in JavaScript: abort; Piscina terminates the worker and spawns a
 *                             replacement; the thread is a zombie until it really exits.
 *                             In native code: abandon (terminating there aborts the process,
 *                             see src/shared/native-slots.ts); the thread is a zombie until
 *                             the call returns, and an extra thread serves meanwhile.
 *                             Either way the chunk is retried once, then fails with
 *                             tts_chunk_timeout
 *   worker crash / OOM     -> the same retry, then tts_chunk_failed
 *
 * A user's cancel only removes queued work; running chunks finish and are discarded by
 * the caller. Only a stuck chunk's run deadline ever terminates a worker.
 */
import { EventEmitter } from 'node:events';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Config } from '../config.ts';
import { TtsError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { SLOT_NATIVE, claimForTermination, createSlots, releaseSlot } from '../shared/native-slots.ts';
import { isWorkerEvent, type SynthRequest, type CalibrationRun, type SynthResult, type WorkerEvent, type WorkerInit } from '../shared/protocol.ts';
import { estimateTokens } from '../shared/token-estimate.ts';
import { parseVoice } from '../shared/voices.ts';
import type { RuntimeInfo } from '../runtime/types.ts';
import { BusyMeter } from './busy-meter.ts';
import { CostModel, type CostCurve } from './cost-model.ts';
import { readCpuFacts, planPool } from './cpu-budget.ts';
import { FairQueue, type Lane } from './fair-queue.ts';
import { HealthTracker } from './pool-health.ts';
import type { PoolHealth, PoolPlan, SynthPoolHandle } from './pool-types.ts';
import { synthesizeSplitting } from './split-long.ts';
import type { SynthesizeRequest, SynthesizedAudio } from './types.ts';
import { ZombieLedger } from './zombie-ledger.ts';

export interface PoolLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const WORKER_FILE = fileURLToPath(new URL(`../../workers/synth.worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
const START_TIMEOUT_MS = 180_000;

interface Attempt {
  taskId: number;
  controller: AbortController;
  threadId?: number;
  slot?: number;
  /** Passed its deadline in native code: its job moved on; the thread is still busy. */
  abandoned: boolean;
  runTimer?: NodeJS.Timeout;
  timedOut: boolean;
  startedAt?: number;
}

interface Job {
  req: SynthesizeRequest;
  enqueuedAt: number;
  queueMs: number;
  synthMs: number;
  tries: number;
  queueTimer?: NodeJS.Timeout;
  attempt?: Attempt;
  settled: boolean;
  resolve(audio: SynthesizedAudio): void;
  reject(err: TtsError): void;
  onAbort?: () => void;
}

/**
 * Run deadline for a chunk: a base plus a per-token allowance, capped. The tokens are the
 * chunker's pessimistic estimate from the text (the worker has not phonemized it yet when
 * the deadline is armed), so digits, symbols and emoji get the time they really need.
 */
export function runDeadlineMs(config: Pick<Config, 'runTimeoutBaseMs' | 'runTimeoutPerTokenMs' | 'runTimeoutMaxMs'>, text: string): number {
  return Math.min(config.runTimeoutMaxMs, config.runTimeoutBaseMs + config.runTimeoutPerTokenMs * estimateTokens(text));
}

/** The queue lane of a request: urgent when a listener waits on it (fair-queue.ts). */
const laneOf = (req: SynthesizeRequest): Lane => (req.urgent === true ? 'urgent' : 'normal');

/** The busy share is averaged over about this long: a few chunks of the genuine model. */
const UTILIZATION_TAU_MS = 10_000;

export class SynthPool extends EventEmitter implements SynthPoolHandle {
  readonly plan: PoolPlan;
  readonly #config: Config;
  readonly #metrics: Metrics;
  readonly #log: PoolLogger;
  readonly #queue: FairQueue<Job>;
  readonly #running = new Map<number, Job>();
  /** Attempts abandoned in native code, by task id: they still occupy a thread. */
  readonly #abandoned = new Map<number, Attempt>();
  readonly #slots = new Int32Array(createSlots());
  /** What chunks cost here, learned from every chunk (the chunk sizer reads it). */
  readonly #costs = new CostModel();
  /** The recent busy share, for turns that choose between latency and throughput (src/gateway/chunking.ts). */
  readonly #busy = new BusyMeter(UTILIZATION_TAU_MS);
  readonly #slotOf = new Map<number, number>();
  readonly #workers = new Map<number, Worker>();
  readonly #loaded = new Set<number>();
  /** Threads Piscina has marked ready ('workerCreate'): only these can take a task at once. */
  readonly #created = new Set<number>();
  readonly #zombies: ZombieLedger;
  readonly #health: HealthTracker;
  #piscina: Piscina | undefined;
  #nextTaskId = 1;
  #closing = false;
  #recycling: number | null = null;
  #respawnFailures = 0;
  #canaryTimer: NodeJS.Timeout | undefined;
  #startWaiter: { resolve(): void; reject(err: TtsError): void } | undefined;
  #runtime: RuntimeInfo | undefined;

  constructor(config: Config, metrics: Metrics, log: PoolLogger) {
    super();
    this.#config = config;
    this.#metrics = metrics;
    this.#log = log;
    const facts = readCpuFacts();
    const { plan, warning } = planPool(facts.vcpus, { workers: config.workers, threadsPerWorker: config.threadsPerWorker });
    this.plan = plan;
    if (warning !== undefined) log.warn({ plan }, warning);
    log.info({ plan, cpu: facts }, 'pool plan');
    this.#queue = new FairQueue(config.maxQueue, config.lookaheadSlackMs);
    this.#health = new HealthTracker(config, plan);
    this.#zombies = new ZombieLedger(
      config.zombieGraceMs,
      (zombie) => {
        this.#log.error({ threadId: zombie.threadId, ageMs: Math.round(zombie.ageMs) }, 'terminated worker still running native code');
        this.emit('zombie_escalation', zombie);
      },
      () => {
        this.#refreshGauges();
        this.emit('zombies_changed', this.#zombies.count);
      },
    );
  }

  start(): Promise<void> {
    if (this.#piscina !== undefined) throw new Error('pool already started');
    const init: WorkerInit = {
      modelPath: this.#config.modelPath,
      intraOpThreads: this.plan.threadsPerWorker,
      enableCpuMemArena: this.#config.enableCpuMemArena,
      faultInjection: this.#config.faultInjection,
      silenceThresholdDbfs: this.#config.silenceThresholdDbfs,
      ...(this.#config.stallModelPath !== undefined ? { stallModelPath: this.#config.stallModelPath } : {}),
      nativeSlots: this.#slots.buffer as SharedArrayBuffer,
      calibration: new SharedArrayBuffer(4),
      ort: { choice: this.#config.ort, cacheRoot: this.#config.ortDir },
    };
    const piscina = new Piscina({
      filename: WORKER_FILE,
      minThreads: this.plan.workers,
      // Headroom above the plan for threads abandoned in native code; idle extras retire.
      maxThreads: this.#maxThreads(),
      idleTimeout: 5_000,
      // We only hand Piscina work when a worker is free; its queue only covers a respawn.
      maxQueue: this.#maxThreads(),
      workerData: init,
      resourceLimits: { maxOldGenerationSizeMb: this.#config.workerHeapMb },
      closeTimeout: this.#config.shutdownGraceMs,
      recordTiming: false,
      // Piscina's default ('sync') halts an idle worker's event loop in Atomics.wait, so an
      // error a worker raises after its task (a timer, a late rejection: matrix A6) would
      // only surface when the next chunk arrives, and kill that chunk. 'async' keeps the
      // loop turning between tasks: the thread dies while idle and is replaced. The cost, a
      // microtask hop per task, is nothing beside a chunk's tens of milliseconds.
      atomics: 'async',
    });
    this.#piscina = piscina;
    piscina.on('message', (msg: unknown) => {
      if (isWorkerEvent(msg)) this.#onWorkerEvent(msg);
    });
    piscina.on('workerCreate', (worker: { id: number }) => {
      this.#created.add(worker.id);
      this.#adoptThreads();
      this.#dispatch();
    });
    piscina.on('error', (err: Error) => {
      // Always handled: an unhandled pool 'error' would kill the host (matrix A6).
      this.#metrics.poolErrors.inc();
      this.#log.error({ err: { message: err.message } }, 'worker pool error');
      // A worker that cannot even start (its module fails to import) would be respawned
      // forever by Piscina: at start-up that is a load failure, reported at once.
      if (this.#startWaiter !== undefined) {
        const waiter = this.#startWaiter;
        this.#startWaiter = undefined;
        this.#health.markLoadFailed(err.message);
        waiter.reject(new TtsError('model_load_failed', `a worker failed to start: ${err.message}`));
        void piscina.destroy();
      }
    });
    this.#adoptThreads();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#startWaiter = undefined;
        reject(new TtsError('model_load_failed', `workers did not load the model within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      this.#startWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    return synthesizeSplitting(req.text, (text) => this.#submit({ ...req, text }));
  }

  /** The onnxruntime the workers run, once one has loaded (src/runtime/resolve.ts). */
  /** The measured cost of a chunk on this model and plan, or null before any was measured. */
  costCurve(): CostCurve | null {
    return this.#costs.curve();
  }

  #calibrated(runs: readonly CalibrationRun[]): void {
    for (const run of runs) this.#costs.observe(run);
    const c = this.#costs.curve();
    if (c === null) return;
    const round = (n: number) => Math.round(n * 10) / 10;
    this.#log.info({ fixedMs: round(c.fixedMs), msPerToken: round(c.msPerToken), speechMsPerToken: round(c.speechMsPerToken) }, 'chunk cost calibrated');
  }

  get runtime(): RuntimeInfo | undefined {
    return this.#runtime;
  }

  health(): PoolHealth {
    return this.#health.report({
      closing: this.#closing,
      liveWorkers: this.#workers.size,
      loadedWorkers: this.#loaded.size,
      busyWorkers: this.#running.size - this.#abandoned.size,
      utilization: this.#busy.value(performance.now()),
      queueDepth: this.#queue.size,
      zombies: this.#zombies.list(),
      overdueZombies: this.#zombies.overdue().length,
    });
  }

  cancelOwner(owner: string): number {
    const dropped = this.#queue.removeOwner(owner);
    for (const job of dropped) this.#settle(job, new TtsError('cancelled', 'cancelled while queued'));
    this.#refreshGauges();
    return dropped.length;
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearTimeout(this.#canaryTimer);
    this.#startWaiter?.reject(new TtsError('shutting_down', 'the pool closed while starting'));
    for (const job of this.#queue.removeAll()) this.#settle(job, new TtsError('shutting_down', 'the host is shutting down'));
    const piscina = this.#piscina;
    if (piscina === undefined) return;
    // Running chunks finish within the grace; abandoned native calls may return too.
    if (this.#running.size > 0) {
      const grace = setTimeout(() => this.emit('drained'), this.#config.shutdownGraceMs);
      await new Promise((resolve) => this.once('drained', resolve));
      clearTimeout(grace);
    }
    const inNative = [...this.#slotOf.values()].filter((slot) => Atomics.load(this.#slots, slot) === SLOT_NATIVE).length;
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

  #maxThreads(): number {
    return this.plan.workers * 2;
  }

  #submit(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    if (this.#closing) return Promise.reject(new TtsError('shutting_down', 'the host is shutting down'));
    const voice = parseVoice(req.voice);
    if (!voice.ok) return Promise.reject(new TtsError('invalid_voice', voice.message));
    if (!Number.isFinite(req.speed) || req.speed < 0.25 || req.speed > 4) {
      return Promise.reject(new TtsError('invalid_speed', 'speed must be between 0.25 and 4'));
    }
    if (req.text.trim() === '') return Promise.reject(new TtsError('empty_text', 'the text is empty'));
    if (req.signal?.aborted === true) return Promise.reject(new TtsError('cancelled', 'cancelled before queueing'));
    const unavailable = this.#health.unavailableReason(this.#zombies.overdue().length);
    if (unavailable !== null) return Promise.reject(new TtsError('unavailable', unavailable));

    return new Promise<SynthesizedAudio>((resolve, reject) => {
      const job: Job = { req, enqueuedAt: performance.now(), queueMs: 0, synthMs: 0, tries: 0, settled: false, resolve, reject };
      if (!this.#queue.push(req.owner, job, { lane: laneOf(req) })) {
        reject(new TtsError('overloaded', `the queue is full (${this.#config.maxQueue} chunks)`));
        return;
      }
      this.#armQueueDeadline(job);
      if (req.signal !== undefined) {
        job.onAbort = () => this.#onCallerAbort(job);
        req.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#refreshGauges();
      this.#dispatch();
    });
  }

  #armQueueDeadline(job: Job): void {
    job.queueTimer = setTimeout(() => {
      if (this.#queue.remove(job.req.owner, job)) {
        this.#settle(job, new TtsError('tts_chunk_timeout', `waited ${this.#config.queueTimeoutMs} ms for a worker`));
        this.#refreshGauges();
      }
    }, this.#config.queueTimeoutMs);
  }

  #onCallerAbort(job: Job): void {
    // Queued: dropped at no cost. Running: the worker finishes; the result is discarded.
    this.#queue.remove(job.req.owner, job);
    this.#settle(job, new TtsError('cancelled', 'cancelled by the caller'));
    this.#refreshGauges();
  }

  #capacity(): number {
    if (this.#recycling !== null || this.#piscina === undefined || this.#startWaiter !== undefined) return 0;
    // While a thread is abandoned in native code, serve the full plan: Piscina spawns an
    // extra thread beside the stuck one. Otherwise only loaded workers take work, so a
    // crashed worker's replacement is awaited instead of doubled.
    if (this.#abandoned.size > 0) return this.plan.workers;
    let serving = 0;
    for (const threadId of this.#loaded) if (this.#created.has(threadId)) serving++;
    return Math.min(this.plan.workers, serving);
  }

  #dispatch(): void {
    while (this.#running.size - this.#abandoned.size < this.#capacity() && this.#running.size < this.#maxThreads() && this.#queue.size > 0) {
      const job = this.#queue.shift()!;
      if (job.settled) continue;
      this.#run(job);
    }
    this.#refreshGauges();
  }

  #run(job: Job): void {
    clearTimeout(job.queueTimer);
    job.queueMs += performance.now() - job.enqueuedAt;
    job.tries++;
    const attempt: Attempt = { taskId: this.#nextTaskId++, controller: new AbortController(), timedOut: false, abandoned: false };
    job.attempt = attempt;
    this.#running.set(attempt.taskId, job);
    this.#metrics.queueWait.observe(job.queueMs / 1000);
    const task: SynthRequest = { taskId: attempt.taskId, text: job.req.text, voice: job.req.voice, speed: job.req.speed };
    this.#piscina!.run(task, { signal: attempt.controller.signal }).then(
      (result: SynthResult) => this.#onResult(job, attempt, result),
      (err: unknown) => this.#onFailure(job, attempt, err),
    );
  }

  #onWorkerEvent(event: WorkerEvent): void {
    switch (event.type) {
      case 'started': {
        const job = this.#running.get(event.taskId);
        const attempt = job?.attempt;
        if (job === undefined || attempt === undefined || attempt.taskId !== event.taskId) return;
        attempt.threadId = event.threadId;
        attempt.slot = event.slot;
        this.#slotOf.set(event.threadId, event.slot);
        attempt.startedAt = performance.now();
        attempt.runTimer = setTimeout(() => this.#onRunDeadline(attempt), runDeadlineMs(this.#config, job.req.text));
        return;
      }
      case 'loaded':
        this.#slotOf.set(event.threadId, event.slot);
        this.#loaded.add(event.threadId);
        this.#respawnFailures = 0;
        this.#noteRuntime(event.runtime);
        if (event.calibration !== undefined) this.#calibrated(event.calibration);
        this.#log.info({ threadId: event.threadId, loadMs: Math.round(event.loadMs), inputs: event.inputNames }, 'worker loaded model');
        if (this.#startWaiter !== undefined && this.#loaded.size >= this.plan.workers) {
          const waiter = this.#startWaiter;
          this.#startWaiter = undefined;
          this.#health.markStarted();
          waiter.resolve();
          this.#armCanary();
        }
        this.emit('worker_loaded', event.threadId);
        this.#refreshGauges();
        this.#dispatch();
        return;
      case 'load_failed':
        this.#onLoadFailed(event);
        return;
    }
  }

  /** Logged and exported when it first appears or changes: a WARNING when a newer runtime was there but unusable. */
  #noteRuntime(runtime: RuntimeInfo): void {
    const before = this.#runtime;
    this.#runtime = runtime;
    if (before?.version === runtime.version && before.source === runtime.source) return;
    this.#metrics.onnxruntime.reset();
    this.#metrics.onnxruntime.set({ version: runtime.version, source: runtime.source }, 1);
    if (runtime.fallbackReason !== undefined) this.#log.warn({ onnxruntime: runtime }, `running the bundled onnxruntime ${runtime.version}: ${runtime.fallbackReason}`);
    else if (before !== undefined) this.#log.warn({ onnxruntime: runtime, before }, 'workers run different onnxruntime builds');
    else this.#log.info({ onnxruntime: runtime }, `onnxruntime ${runtime.version} (${runtime.source})`);
  }

  #onLoadFailed(event: Extract<WorkerEvent, { type: 'load_failed' }>): void {
    this.#slotOf.set(event.threadId, event.slot);
    this.#log.error({ threadId: event.threadId, reason: event.message }, 'worker failed to load the model');
    if (this.#startWaiter !== undefined) {
      const waiter = this.#startWaiter;
      this.#startWaiter = undefined;
      this.#health.markLoadFailed(event.message);
      waiter.reject(new TtsError('model_load_failed', event.message));
      return;
    }
    // A replacement could not load: retire it after a Fibonacci backoff so Piscina spawns
    // another, instead of hot-looping model loads (matrix A9).
    this.#respawnFailures++;
    const delay = Math.min(this.#config.respawnBackoffMaxMs, 100 * fibonacci(this.#respawnFailures));
    const timer = setTimeout(() => {
      const worker = this.#workers.get(event.threadId);
      if (worker !== undefined && !this.#closing && claimForTermination(this.#slots, event.slot)) void worker.terminate();
    }, delay);
    timer.unref();
  }

  #onRunDeadline(attempt: Attempt): void {
    attempt.timedOut = true;
    this.#metrics.timeouts.inc();
    const worker = attempt.threadId === undefined ? undefined : this.#workers.get(attempt.threadId);
    if (attempt.slot !== undefined && claimForTermination(this.#slots, attempt.slot)) {
      if (worker !== undefined) this.#zombies.trackTerminated(worker);
      this.#log.warn({ threadId: attempt.threadId, taskId: attempt.taskId }, 'chunk passed its run deadline; terminating its worker');
      attempt.controller.abort();
      return;
    }
    this.#abandon(attempt);
  }

  /**
   * The deadline struck inside native code. The chunk moves on (retry or tts_chunk_timeout)
   * now; the thread stays busy until its call returns, counted as a zombie, while Piscina
   * spawns an extra thread (maxThreads headroom) to keep the plan's capacity.
   */
  #abandon(attempt: Attempt): void {
    const job = this.#running.get(attempt.taskId);
    attempt.abandoned = true;
    this.#abandoned.set(attempt.taskId, attempt);
    if (attempt.threadId !== undefined) this.#zombies.trackNative(attempt.threadId);
    this.#metrics.respawns.inc({ reason: 'native_stall' });
    this.#log.warn({ threadId: attempt.threadId, taskId: attempt.taskId }, 'chunk passed its run deadline inside native code; abandoning its thread until the call returns');
    if (job === undefined) return;
    if (attempt.startedAt !== undefined) job.synthMs += performance.now() - attempt.startedAt;
    job.attempt = undefined;
    if (job.tries <= this.#config.chunkRetries && !job.settled && !this.#closing) {
      this.#retry(job);
    } else {
      this.#settle(job, new TtsError('tts_chunk_timeout', `the chunk passed its run deadline on ${job.tries} tries`));
    }
    this.#dispatch();
  }

  /** An abandoned attempt's native call returned: its result is stale; the thread serves again. */
  #onAbandonedReturn(attempt: Attempt): void {
    clearTimeout(attempt.runTimer);
    this.#running.delete(attempt.taskId);
    this.#abandoned.delete(attempt.taskId);
    if (attempt.threadId !== undefined) this.#zombies.release(attempt.threadId);
    this.#log.info({ threadId: attempt.threadId, taskId: attempt.taskId }, 'abandoned native call returned; its thread serves again');
    this.#afterTask();
  }

  #onResult(job: Job, attempt: Attempt, result: SynthResult): void {
    if (attempt.abandoned) return this.#onAbandonedReturn(attempt);
    this.#finishAttempt(job, attempt);
    if (result.ok) {
      this.#health.recordSuccess();
      this.#metrics.synthTime.observe(job.synthMs / 1000);
      const silent = result.silence.lead + result.silence.trail;
      this.#costs.observe({ text: job.req.text, computeMs: result.timings.phonemizeMs + result.timings.inferenceMs, samples: result.samples, silentSamples: silent, sampleRate: result.sampleRate, speed: job.req.speed });
      this.#settle(job, null, {
        pcm: result.pcm,
        sampleRate: result.sampleRate,
        queueMs: job.queueMs,
        synthMs: job.synthMs,
        provider: 'local',
        tokens: result.tokens,
        silence: result.silence,
      });
    } else if (result.code === 'not_loaded' && job.tries <= this.#config.chunkRetries) {
      this.#retry(job);
    } else {
      const code = result.code === 'inference_error' || result.code === 'not_loaded' ? 'tts_chunk_failed' : result.code;
      this.#settle(job, new TtsError(code, result.message));
    }
    this.#afterTask();
  }

  #onFailure(job: Job, attempt: Attempt, err: unknown): void {
    if (attempt.abandoned) return this.#onAbandonedReturn(attempt);
    this.#finishAttempt(job, attempt);
    // The thread is dead or dying; its 'exit' may come later than this rejection.
    if (attempt.threadId !== undefined) this.#loaded.delete(attempt.threadId);
    const message = err instanceof Error ? err.message : String(err);
    const oom = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
    const reason = attempt.timedOut ? 'timeout' : oom ? 'oom' : 'crash';
    if (!attempt.timedOut) this.#metrics.crashes.inc({ kind: oom ? 'oom' : 'exit' });
    this.#metrics.respawns.inc({ reason });
    this.#log.warn({ taskId: attempt.taskId, threadId: attempt.threadId, reason, err: message }, 'chunk attempt failed');
    if (job.tries <= this.#config.chunkRetries && !job.settled && !this.#closing) {
      this.#retry(job);
    } else if (attempt.timedOut) {
      this.#settle(job, new TtsError('tts_chunk_timeout', `the chunk passed its run deadline on ${job.tries} tries`));
    } else {
      this.#settle(job, new TtsError('tts_chunk_failed', `the worker died on ${job.tries} tries (${reason}: ${message})`));
    }
    this.#afterTask();
  }

  #retry(job: Job): void {
    job.enqueuedAt = performance.now();
    this.#queue.push(job.req.owner, job, { front: true, lane: laneOf(job.req) });
    this.#armQueueDeadline(job);
  }

  #finishAttempt(job: Job, attempt: Attempt): void {
    clearTimeout(attempt.runTimer);
    this.#running.delete(attempt.taskId);
    if (attempt.startedAt !== undefined) job.synthMs += performance.now() - attempt.startedAt;
  }

  #settle(job: Job, err: TtsError | null, audio?: SynthesizedAudio): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.queueTimer);
    if (job.onAbort !== undefined) job.req.signal?.removeEventListener('abort', job.onAbort);
    if (err !== null) job.reject(err);
    else job.resolve(audio!);
  }

  #afterTask(): void {
    this.#maybeRecycle();
    this.#dispatch();
    this.#armCanary();
    if (this.#running.size === 0) this.emit('drained');
  }

  /** Past the RSS ceiling, retire one idle worker (its native arenas go with it), never mid-chunk. */
  #maybeRecycle(): void {
    if (this.#recycling !== null || this.#running.size > 0 || this.#closing) return;
    if (process.memoryUsage.rss() < this.#config.rssCeilingMb * 1024 * 1024) return;
    const [threadId, worker] = this.#workers.entries().next().value ?? [];
    if (threadId === undefined || worker === undefined) return;
    if (!claimForTermination(this.#slots, this.#slotOf.get(threadId) ?? -1)) return;
    this.#recycling = threadId;
    this.#metrics.recycles.inc();
    this.#log.info({ threadId, rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20) }, 'recycling a worker for memory');
    void worker.terminate();
  }

  #adoptThreads(): void {
    for (const worker of this.#piscina?.threads ?? []) {
      const threadId = worker.threadId;
      if (threadId < 0 || this.#workers.has(threadId)) continue;
      this.#workers.set(threadId, worker);
      worker.once('exit', () => this.#onThreadExit(threadId));
    }
    this.#refreshGauges();
  }

  #onThreadExit(threadId: number): void {
    // Above the plan, an exit is Piscina retiring an idle extra thread, not a respawn.
    const extra = this.#workers.size > this.plan.workers;
    this.#workers.delete(threadId);
    this.#loaded.delete(threadId);
    this.#created.delete(threadId);
    const slot = this.#slotOf.get(threadId);
    if (slot !== undefined) releaseSlot(this.#slots, slot);
    this.#slotOf.delete(threadId);
    if (this.#recycling === threadId) this.#recycling = null;
    if (!this.#closing && !extra) this.#health.recordRespawn();
    this.#log.info({ threadId, live: this.#workers.size }, extra ? 'extra worker thread retired' : 'worker thread exited');
    // Piscina spawns the replacement; adopt it once it exists.
    queueMicrotask(() => this.#adoptThreads());
    this.emit('workers_changed', this.#workers.size);
    this.#dispatch();
  }

  #armCanary(): void {
    clearTimeout(this.#canaryTimer);
    if (this.#closing || this.#running.size > 0 || this.#queue.size > 0) return;
    this.#canaryTimer = setTimeout(() => void this.#runCanary(), this.#config.canaryIntervalMs);
    this.#canaryTimer.unref();
  }

  async #runCanary(): Promise<void> {
    if (this.#running.size > 0 || this.#queue.size > 0 || this.#closing) return;
    const started = this.#health.canaryStarted();
    const timeout = AbortSignal.timeout(this.#config.canaryTimeoutMs);
    try {
      await this.#submit({ text: 'Hi.', voice: 'af_heart', speed: 1, owner: '__canary', signal: timeout });
      this.#health.canaryFinished(started, true);
      this.#metrics.canary.inc({ outcome: 'ok' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#health.canaryFinished(started, false, timeout.aborted ? 'canary timed out' : message);
      this.#metrics.canary.inc({ outcome: 'failed' });
      this.#log.error({ err: message }, 'canary synthesis failed');
    }
  }

  #refreshGauges(): void {
    const m = this.#metrics;
    m.workers.set({ state: 'live' }, this.#workers.size);
    m.workers.set({ state: 'loaded' }, this.#loaded.size);
    m.workers.set({ state: 'busy' }, this.#running.size);
    this.#busy.set(performance.now(), (this.#running.size - this.#abandoned.size) / this.plan.workers);
    m.zombies.set(this.#zombies?.count ?? 0);
    m.queueDepth.set(this.#queue.size);
  }
}

function fibonacci(n: number): number {
  let [a, b] = [1, 1];
  for (let i = 1; i < n; i++) [a, b] = [b, a + b];
  return a;
}
