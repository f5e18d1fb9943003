/**
 * How busy the pool has been lately: the share of its planned workers that were running a
 * chunk, averaged exponentially over the last `tauMs` (about 10 s). The signal is the busy
 * count, a step function that changes only at dispatch and settle, so the average is exact
 * between those events and costs O(1) per event, no timer.
 */
export class BusyMeter {
  readonly #tauMs: number;
  #average = 0;
  #level = 0;
  #at: number;

  constructor(tauMs: number, now = performance.now()) {
    if (!(tauMs > 0)) throw new RangeError('tauMs must be positive');
    this.#tauMs = tauMs;
    this.#at = now;
  }

  /** The busy share changed to `level` (0..1) at `now`. */
  set(now: number, level: number): void {
    this.#average = this.value(now);
    this.#level = Math.min(1, Math.max(0, level));
    this.#at = Math.max(this.#at, now);
  }

  /** The recent average at `now`, 0..1. */
  value(now: number): number {
    const decay = Math.exp(-Math.max(0, now - this.#at) / this.#tauMs);
    return this.#level + (this.#average - this.#level) * decay;
  }
}
