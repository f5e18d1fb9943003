/**
 * A token bucket refilled lazily on each take(): no timer per connection. Holds at most
 * `burst` tokens and gains `perSecond` tokens a second. A token is a message for the
 * control budget and a character for the text budget.
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, burst: number, now: number = performance.now()) {
    this.#perMs = perSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /**
   * Takes `cost` tokens; false (and nothing taken) when the bucket holds fewer. A cost above
   * the burst is charged as the burst: one message may empty a full bucket, never more.
   */
  take(cost = 1, now: number = performance.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    const charged = Math.min(cost, this.#burst);
    if (this.#tokens < charged) return false;
    this.#tokens -= charged;
    return true;
  }
}
