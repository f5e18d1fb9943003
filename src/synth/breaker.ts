/**
 * The router's circuit breaker over the LOCAL provider:
 *
 *   closed ──(`failures` counted failures within `windowMs`)──▶ open
 *   open ──(`cooldownMs` elapsed; checked lazily, no timer)──▶ half_open
 *   half_open: one request probes local; success ──▶ closed, counted failure ──▶ open
 *
 * Time is read on each call (no timers to clear); tests pass their own clock.
 */

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failures: number;
  windowMs: number;
  cooldownMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  readonly #opts: Required<BreakerOptions>;
  /** Times of recent counted failures; at most `failures` are kept. */
  readonly #recent: number[] = [];
  #openedAt: number | null = null;
  #probing = false;

  constructor(opts: BreakerOptions) {
    for (const key of ['failures', 'windowMs', 'cooldownMs'] as const) {
      if (!Number.isFinite(opts[key]) || opts[key] < 1) throw new RangeError(`breaker ${key} must be at least 1`);
    }
    this.#opts = { now: () => performance.now(), ...opts };
  }

  get state(): BreakerState {
    if (this.#openedAt === null) return 'closed';
    return this.#opts.now() - this.#openedAt >= this.#opts.cooldownMs ? 'half_open' : 'open';
  }

  /**
   * Whether this request should try local first. In half-open exactly one request at a
   * time gets to probe; the caller must then report its outcome (success, failure or release).
   */
  admitLocal(): { local: boolean; probe: boolean } {
    const state = this.state;
    if (state === 'closed') return { local: true, probe: false };
    if (state === 'half_open' && !this.#probing) {
      this.#probing = true;
      return { local: true, probe: true };
    }
    return { local: false, probe: false };
  }

  /** A local success. Returns true when it closed the breaker. */
  success(probe: boolean): boolean {
    if (probe) this.#probing = false;
    if (this.#openedAt === null || !probe) return false;
    this.#openedAt = null;
    this.#recent.length = 0;
    return true;
  }

  /** A counted local failure. Returns true when it opened (or re-opened) the breaker. */
  failure(probe: boolean): boolean {
    const now = this.#opts.now();
    if (probe) {
      this.#probing = false;
      this.#openedAt = now;
      return true;
    }
    if (this.#openedAt !== null) return false;
    this.#recent.push(now);
    if (this.#recent.length > this.#opts.failures) this.#recent.shift();
    const inWindow = this.#recent.filter((t) => now - t <= this.#opts.windowMs).length;
    if (inWindow < this.#opts.failures) return false;
    this.#openedAt = now;
    this.#recent.length = 0;
    return true;
  }

  /** A probe that ended without telling us anything (a caller error, a cancel). */
  release(probe: boolean): void {
    if (probe) this.#probing = false;
  }
}
