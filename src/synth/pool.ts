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
 *
 * This file holds the chunks: queue, dispatch, attempts and their deadlines. Its other
 * parts, one concern each: the threads and Piscina (worker-threads.ts, thread-table.ts,
 * piscina-setup.ts), a chunk and its tries (job.ts), retry or settle (attempt-outcome.ts, a
 * pure function), the canary (canary.ts), zombies (zombie-ledger.ts), readiness
 * (pool-health.ts), the queue (fair-queue.ts), what chunks cost and how busy it is (pool-load.ts).
 */
import { EventEmitter } from 'node:events';
import type { Config } from '../config.ts';
import { TtsError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { claimForTermination } from '../shared/native-slots.ts';
import type { SynthResult } from '../shared/protocol.ts';
import type { RuntimeInfo } from '../runtime/types.ts';
import { attemptOutcome, type AttemptEnd } from './attempt-outcome.ts';
import { Canary } from './canary.ts';
import type { CostCurve } from './cost-model.ts';
import { readCpuFacts, planPool } from './cpu-budget.ts';
import { FairQueue } from './fair-queue.ts';
import { audioOf, finishAttempt, laneOf, refusal, runDeadlineMs, settleJob, taskOf, type Attempt, type Job } from './job.ts';
import { HealthTracker } from './pool-health.ts';
import { PoolLoad } from './pool-load.ts';
import type { PoolHealth, PoolLogger, PoolPlan, SynthPoolHandle } from './pool-types.ts';
import { synthesizeSplitting } from './split-long.ts';
import type { SynthesizeRequest, SynthesizedAudio } from './types.ts';
import { WorkerThreads, type StartedEvent } from './worker-threads.ts';
import { ZombieLedger } from './zombie-ledger.ts';

export { runDeadlineMs } from './job.ts';
export type { PoolLogger } from './pool-types.ts';


export class SynthPool extends EventEmitter implements SynthPoolHandle {
  readonly plan: PoolPlan;
  readonly #config: Config;
  readonly #metrics: Metrics;
  readonly #log: PoolLogger;
  readonly #queue: FairQueue<Job>;
  readonly #running = new Map<number, Job>();
  /** Attempts abandoned in native code, by task id: they still occupy a thread. */
  readonly #abandoned = new Map<number, Attempt>();
  /** What chunks cost here and how busy the workers were (the chunk sizer reads both). */
  readonly #load: PoolLoad;
  readonly #threads: WorkerThreads;
  readonly #zombies: ZombieLedger;
  readonly #health: HealthTracker;
  readonly #canary: Canary;
  #nextTaskId = 1;
  #closing = false;
  /** close() waiting for the running chunks: resolved when the last one ends. */
  #drainWaiter: (() => void) | undefined;

  constructor(config: Config, metrics: Metrics, log: PoolLogger) {
    super();
    this.#config = config;
    this.#metrics = metrics;
    this.#log = log;
    this.#load = new PoolLoad(log);
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
    this.#canary = new Canary({
      config,
      health: this.#health,
      metrics,
      log,
      idle: () => !this.#closing && this.#running.size === 0 && this.#queue.size === 0,
      submit: (req) => this.#submit(req),
    });
    this.#threads = new WorkerThreads(config, plan, metrics, log, this.#health, {
      capacityChanged: () => this.#dispatch(),
      calibrated: (event) => this.#load.calibrated(event),
      ready: () => this.#canary.arm(),
      workerLoaded: (threadId) => this.emit('worker_loaded', threadId),
      taskStarted: (event) => this.#onTaskStarted(event),
      exited: (live) => {
        this.emit('workers_changed', live);
        this.#dispatch();
      },
    });
  }

  /** Resolves when every worker has loaded and warmed the model; rejects with `model_load_failed`. */
  start(): Promise<void> {
    return this.#threads.start();
  }

  synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    return synthesizeSplitting(req.text, (text) => this.#submit({ ...req, text }));
  }

  /** The measured cost of a chunk on this model and plan, or null before any was measured. */
  costCurve(): CostCurve | null {
    return this.#load.curve();
  }

  /** The onnxruntime the workers run, once one has loaded (src/runtime/resolve.ts). */
  get runtime(): RuntimeInfo | undefined {
    return this.#threads.runtime;
  }

  /** True when the loaded workers time words (their model gives durations). */
  get timesWords(): boolean {
    return this.#threads.timing?.ok === true;
  }

  health(): PoolHealth {
    return this.#health.report({
      closing: this.#closing,
      liveWorkers: this.#threads.table.live,
      loadedWorkers: this.#threads.table.loaded,
      busyWorkers: this.#running.size - this.#abandoned.size,
      utilization: this.#load.utilization(),
      queueDepth: this.#queue.size,
      zombies: this.#zombies.list(),
      overdueZombies: this.#zombies.overdue().length,
    });
  }

  cancelOwner(owner: string): number {
    const dropped = this.#queue.removeOwner(owner);
    for (const job of dropped) settleJob(job, new TtsError('cancelled', 'cancelled while queued'));
    this.#refreshGauges();
    return dropped.length;
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#canary.close();
    this.#threads.beginClose();
    for (const job of this.#queue.removeAll()) settleJob(job, new TtsError('shutting_down', 'the host is shutting down'));
    // Running chunks finish within the grace; abandoned native calls may return too.
    if (this.#running.size > 0) {
      await new Promise<void>((resolve) => {
        const grace = setTimeout(resolve, this.#config.shutdownGraceMs);
        this.#drainWaiter = () => {
          clearTimeout(grace);
          resolve();
        };
      });
      this.#drainWaiter = undefined;
    }
    await this.#threads.close();
  }

  #submit(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    if (this.#closing) return Promise.reject(new TtsError('shutting_down', 'the host is shutting down'));
    const refused = refusal(req);
    if (refused !== null) return Promise.reject(refused);
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
        settleJob(job, new TtsError('tts_chunk_timeout', `waited ${this.#config.queueTimeoutMs} ms for a worker`));
        this.#refreshGauges();
      }
    }, this.#config.queueTimeoutMs);
  }

  #onCallerAbort(job: Job): void {
    // Queued: dropped at no cost. Running: the worker finishes; the result is discarded.
    this.#queue.remove(job.req.owner, job);
    settleJob(job, new TtsError('cancelled', 'cancelled by the caller'));
    this.#refreshGauges();
  }

  #dispatch(): void {
    const capacity = this.#threads.capacity(this.#abandoned.size > 0);
    while (this.#running.size - this.#abandoned.size < capacity && this.#running.size < this.#threads.maxThreads && this.#queue.size > 0) {
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
    this.#threads.run(taskOf(job, attempt.taskId), attempt.controller.signal).then(
      (result: SynthResult) => this.#onResult(job, attempt, result),
      (err: unknown) => this.#onFailure(job, attempt, err),
    );
  }

  /** A worker started an attempt: its run deadline counts from now, never from the queue. */
  #onTaskStarted(event: StartedEvent): void {
    const job = this.#running.get(event.taskId);
    const attempt = job?.attempt;
    if (job === undefined || attempt === undefined || attempt.taskId !== event.taskId) return;
    attempt.threadId = event.threadId;
    attempt.slot = event.slot;
    attempt.startedAt = performance.now();
    attempt.runTimer = setTimeout(() => this.#onRunDeadline(attempt), runDeadlineMs(this.#config, job.req.text));
  }

  #onRunDeadline(attempt: Attempt): void {
    attempt.timedOut = true;
    this.#metrics.timeouts.inc();
    const worker = attempt.threadId === undefined ? undefined : this.#threads.table.worker(attempt.threadId);
    if (attempt.slot !== undefined && claimForTermination(this.#threads.slots, attempt.slot)) {
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
    this.#retryOrSettle(job, { kind: 'native_deadline' });
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
    finishAttempt(job, attempt);
    this.#running.delete(attempt.taskId);
    if (result.ok) {
      this.#health.recordSuccess();
      this.#metrics.synthTime.observe(job.synthMs / 1000);
      this.#load.chunkDone(job.req, result);
      settleJob(job, null, audioOf(job, result));
    } else {
      this.#retryOrSettle(job, { kind: 'refused', code: result.code, message: result.message });
    }
    this.#afterTask();
  }

  #onFailure(job: Job, attempt: Attempt, err: unknown): void {
    if (attempt.abandoned) return this.#onAbandonedReturn(attempt);
    finishAttempt(job, attempt);
    this.#running.delete(attempt.taskId);
    // The thread is dead or dying; its 'exit' may come later than this rejection.
    if (attempt.threadId !== undefined) this.#threads.table.unload(attempt.threadId);
    const message = err instanceof Error ? err.message : String(err);
    const oom = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
    const reason = attempt.timedOut ? 'timeout' : oom ? 'oom' : 'crash';
    if (!attempt.timedOut) this.#metrics.crashes.inc({ kind: oom ? 'oom' : 'exit' });
    this.#metrics.respawns.inc({ reason });
    this.#log.warn({ taskId: attempt.taskId, threadId: attempt.threadId, reason, err: message }, 'chunk attempt failed');
    this.#retryOrSettle(job, { kind: 'thread_lost', timedOut: attempt.timedOut, reason, message });
    this.#afterTask();
  }

  #retryOrSettle(job: Job, end: AttemptEnd): void {
    const outcome = attemptOutcome(end, job, { retries: this.#config.chunkRetries, closing: this.#closing });
    if (!outcome.retry) return settleJob(job, new TtsError(outcome.code, outcome.message));
    job.enqueuedAt = performance.now();
    this.#queue.push(job.req.owner, job, { front: true, lane: laneOf(job.req) });
    this.#armQueueDeadline(job);
  }

  #afterTask(): void {
    if (this.#running.size === 0 && !this.#closing) this.#threads.recycleIfOverCeiling();
    this.#dispatch();
    this.#canary.arm();
    if (this.#running.size === 0) this.#drainWaiter?.();
  }

  #refreshGauges(): void {
    const m = this.#metrics;
    m.workers.set({ state: 'live' }, this.#threads?.table.live ?? 0);
    m.workers.set({ state: 'loaded' }, this.#threads?.table.loaded ?? 0);
    m.workers.set({ state: 'busy' }, this.#running.size);
    this.#load.busyNow((this.#running.size - this.#abandoned.size) / this.plan.workers);
    m.zombies.set(this.#zombies?.count ?? 0);
    m.queueDepth.set(this.#queue.size);
  }
}
