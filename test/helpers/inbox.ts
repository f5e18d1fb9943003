/**
 * What a test client received, in arrival order, read in order by a test that awaits the
 * next item matching a predicate: bounded waits woken by arrivals, never sleeps.
 */
export class Inbox<T> {
  /** Every item received so far. */
  readonly items: T[] = [];
  readonly #what: string;
  #read = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  /** `what` names an item in errors ('frame', 'message'). */
  constructor(what: string) {
    this.#what = what;
  }

  push(item: T): void {
    this.items.push(item);
    this.#wake?.();
  }

  /** No more items will come (the socket closed). */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** The next unread item matching `match` (items before it are consumed too). */
  async next(match: (item: T) => boolean, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.#read < this.items.length) {
        const item = this.items[this.#read++]!;
        if (match(item)) return item;
      }
      if (this.#ended) throw new Error(`socket closed while waiting for a ${this.#what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a ${this.#what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  /** Every item up to and including the next one matching `match`. */
  async until(match: (item: T) => boolean, ms: number): Promise<T[]> {
    const start = this.#read;
    await this.next(match, ms);
    return this.items.slice(start, this.#read);
  }
}
