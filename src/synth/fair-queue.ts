/**
 * A bounded queue that is fair across owners (connections, HTTP requests) and serves what
 * a listener is waiting on first.
 *
 *   lanes:        urgent  -> normal       shift() empties the urgent lane first
 *   per lane:     owners in a ring        A -> B -> C -> A ... one item of each in turn
 *   per owner:    FIFO of its items
 *
 * An item is urgent when nothing is playing before it: a turn's first chunk, or the next
 * chunk of a turn whose audio so far has all been delivered. Look-ahead chunks go in the
 * normal lane, so a new turn's first chunk does not wait behind other turns' look-ahead.
 * But look-ahead only has slack while the audio before it plays: once the normal lane's next
 * item has waited `slackMs`, it goes first. Without that bound, a steady stream of new
 * turns starved every turn's second chunk (measured: queue timeouts in a 1,000-turn soak).
 * Items can be removed anywhere (a cancelled or expired chunk) without disturbing the others.
 */
export type Lane = 'urgent' | 'normal';

interface Entry<T> {
  item: T;
  /** When it was queued (ms, the queue's clock). */
  at: number;
}

/** One lane: round-robin over owners, FIFO per owner. */
class RoundRobin<T> {
  readonly #byOwner = new Map<string, Entry<T>[]>();
  #ring: string[] = [];
  #next = 0;
  size = 0;

  push(owner: string, entry: Entry<T>, front: boolean): void {
    let items = this.#byOwner.get(owner);
    if (items === undefined) {
      items = [];
      this.#byOwner.set(owner, items);
      this.#ring.push(owner);
    }
    if (front) items.unshift(entry);
    else items.push(entry);
    this.size++;
  }

  /** The entry shift() would return next. */
  peek(): Entry<T> | undefined {
    if (this.size === 0) return undefined;
    return this.#byOwner.get(this.#ring[this.#next % this.#ring.length]!)![0];
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const owner = this.#ring[this.#next % this.#ring.length]!;
    const items = this.#byOwner.get(owner)!;
    const entry = items.shift()!;
    this.size--;
    if (items.length === 0) this.#drop(owner);
    else this.#next = (this.#next + 1) % this.#ring.length;
    return entry.item;
  }

  remove(owner: string, item: T): boolean {
    const items = this.#byOwner.get(owner);
    const at = items?.findIndex((e) => e.item === item) ?? -1;
    if (items === undefined || at < 0) return false;
    items.splice(at, 1);
    this.size--;
    if (items.length === 0) this.#drop(owner);
    return true;
  }

  removeOwner(owner: string): T[] {
    const items = this.#byOwner.get(owner) ?? [];
    this.size -= items.length;
    if (items.length > 0) this.#drop(owner);
    return items.map((e) => e.item);
  }

  removeAll(): T[] {
    const all = [...this.#byOwner.values()].flat().map((e) => e.item);
    this.#byOwner.clear();
    this.#ring = [];
    this.#next = 0;
    this.size = 0;
    return all;
  }

  #drop(owner: string): void {
    const at = this.#ring.indexOf(owner);
    this.#byOwner.delete(owner);
    this.#ring.splice(at, 1);
    if (this.#ring.length === 0) this.#next = 0;
    else if (at < this.#next) this.#next--;
    this.#next = this.#ring.length === 0 ? 0 : this.#next % this.#ring.length;
  }
}

export interface PushOptions {
  /** A retry goes back to the head of its owner's line, even past the capacity. */
  front?: boolean;
  lane?: Lane;
}

/** How long a look-ahead chunk may be passed over by urgent ones (KOKORO_LOOKAHEAD_SLACK_MS). */
export const DEFAULT_LOOKAHEAD_SLACK_MS = 2000;

export class FairQueue<T> {
  readonly #capacity: number;
  readonly #slackMs: number;
  readonly #now: () => number;
  readonly #urgent = new RoundRobin<T>();
  readonly #normal = new RoundRobin<T>();

  constructor(capacity: number, slackMs = DEFAULT_LOOKAHEAD_SLACK_MS, now: () => number = () => performance.now()) {
    this.#capacity = capacity;
    this.#slackMs = slackMs;
    this.#now = now;
  }

  get size(): number {
    return this.#urgent.size + this.#normal.size;
  }

  get full(): boolean {
    return this.size >= this.#capacity;
  }

  /** False when full: nothing is queued. */
  push(owner: string, item: T, options: PushOptions = {}): boolean {
    const front = options.front === true;
    if (this.full && !front) return false;
    (options.lane === 'urgent' ? this.#urgent : this.#normal).push(owner, { item, at: this.#now() }, front);
    return true;
  }

  shift(): T | undefined {
    const waiting = this.#normal.peek();
    if (waiting !== undefined && this.#now() - waiting.at >= this.#slackMs) return this.#normal.shift();
    return this.#urgent.shift() ?? this.#normal.shift();
  }

  remove(owner: string, item: T): boolean {
    return this.#urgent.remove(owner, item) || this.#normal.remove(owner, item);
  }

  /** Remove and return every item of `owner`, urgent ones first. */
  removeOwner(owner: string): T[] {
    return [...this.#urgent.removeOwner(owner), ...this.#normal.removeOwner(owner)];
  }

  /** Remove and return everything, urgent ones first, oldest owner first. */
  removeAll(): T[] {
    return [...this.#urgent.removeAll(), ...this.#normal.removeAll()];
  }
}
