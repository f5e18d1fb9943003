/**
 * The pool's truth about itself: readiness with reasons, and when to refuse new work
 * at once instead of letting it wait for a pool that cannot serve it (matrix C1).
 */
import type { Config } from '../config.ts';
import type { PoolHealth, PoolPlan, ZombieInfo } from './pool-types.ts';

export interface PoolSnapshot {
  closing: boolean;
  liveWorkers: number;
  loadedWorkers: number;
  busyWorkers: number;
  utilization: number;
  queueDepth: number;
  zombies: ZombieInfo[];
  overdueZombies: number;
}

export class HealthTracker {
  readonly #config: Pick<Config, 'canaryTimeoutMs'>;
  readonly #plan: PoolPlan;
  #started = false;
  #loadError: string | null = null;
  #respawns = 0;
  #lastSuccessAt = 0;
  #canaryInFlightSince: number | null = null;
  #lastCanary: PoolHealth['lastCanary'] = null;

  constructor(config: Pick<Config, 'canaryTimeoutMs'>, plan: PoolPlan) {
    this.#config = config;
    this.#plan = plan;
  }

  markStarted(): void {
    this.#started = true;
    this.#lastSuccessAt = performance.now();
  }

  markLoadFailed(reason: string): void {
    this.#loadError = reason;
  }

  recordSuccess(): void {
    this.#lastSuccessAt = performance.now();
  }

  recordRespawn(): void {
    this.#respawns++;
  }

  canaryStarted(): number {
    this.#canaryInFlightSince = performance.now();
    return this.#canaryInFlightSince;
  }

  canaryFinished(startedAt: number, ok: boolean, error?: string): void {
    this.#canaryInFlightSince = null;
    const ms = performance.now() - startedAt;
    this.#lastCanary = error === undefined ? { ok, at: Date.now(), ms } : { ok, at: Date.now(), ms, error };
    if (ok) this.#lastSuccessAt = performance.now();
  }

  /**
   * Why new work should be refused at once, or null to accept it. A respawning worker is
   * no reason: work queues for it under its queue deadline. A model that cannot load, or
   * every thread stuck in native code past its grace, is: nothing would serve the work.
   */
  unavailableReason(overdueZombies: number): string | null {
    if (this.#loadError !== null) return `the model failed to load: ${this.#loadError}`;
    if (this.#started && overdueZombies >= this.#plan.workers) return 'every worker is stuck in native code';
    return null;
  }

  report(s: PoolSnapshot): PoolHealth {
    const reasons: string[] = [];
    if (s.closing) reasons.push('closing');
    if (this.#loadError !== null) reasons.push('model_load_failed');
    else if (!this.#started) reasons.push('warming');
    else if (s.loadedWorkers < this.#plan.workers) reasons.push('workers_below_plan');
    if (s.overdueZombies > 0) reasons.push('worker_zombie');
    const canaryAge = this.#canaryInFlightSince === null ? 0 : performance.now() - this.#canaryInFlightSince;
    if (canaryAge > this.#config.canaryTimeoutMs) reasons.push('canary_stale');
    // A failed canary counts until any synthesis succeeds again.
    if (this.#lastCanary !== null && !this.#lastCanary.ok && this.#lastSuccessAt < performance.now() - (Date.now() - this.#lastCanary.at)) {
      reasons.push('canary_failed');
    }
    return {
      ready: reasons.length === 0,
      reasons,
      plan: this.#plan,
      liveWorkers: s.liveWorkers,
      loadedWorkers: s.loadedWorkers,
      busyWorkers: s.busyWorkers,
      utilization: s.utilization,
      queueDepth: s.queueDepth,
      inFlight: s.queueDepth + s.busyWorkers,
      zombies: s.zombies,
      respawns: this.#respawns,
      lastCanary: this.#lastCanary,
    };
  }
}
