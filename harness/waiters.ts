/**
 * Callers waiting, each with a bound, for the next item from a child process's output (a
 * host's JSON log line, HAProxy's server state change) that matches their predicate. The
 * child offers every item it parses; its exit rejects whoever still waits.
 */
interface Waiter<T> {
  match: (item: T) => boolean;
  resolve: (item: T) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Waiters<T> {
  readonly #waiting = new Set<Waiter<T>>();

  /**
   * The next item from now on matching `match`, within `timeoutMs` (else rejected with
   * `timeoutMessage()`). Register it before causing the event; a caller that fails before
   * awaiting it leaves no unhandled rejection.
   */
  next(match: (item: T) => boolean, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    const item = new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiting.delete(waiter);
          reject(new Error(timeoutMessage()));
        }, timeoutMs),
      };
      this.#waiting.add(waiter);
    });
    item.catch(() => undefined);
    return item;
  }

  /** Resolves every waiter that `item` matches. */
  offer(item: T): void {
    for (const w of [...this.#waiting]) {
      if (!w.match(item)) continue;
      this.#waiting.delete(w);
      clearTimeout(w.timer);
      w.resolve(item);
    }
  }

  /** Rejects everyone still waiting (the child exited). */
  rejectAll(err: Error): void {
    for (const w of this.#waiting) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.#waiting.clear();
  }
}
