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
 * normal lane, so a new turn's first chunk never waits behind other turns' look-ahead.
 * Items can be removed anywhere (a cancelled or expired chunk) without disturbing the others.
 */
export type Lane = 'urgent' | 'normal';

/** One lane: round-robin over owners, FIFO per owner. */
class RoundRobin<T> {
  readonly #byOwner = new Map<string, T[]>();
  #ring: string[] = [];
  #next = 0;
  size = 0;

  push(owner: string, item: T, front: boolean): void {
    let items = this.#byOwner.get(owner);
    if (items === undefined) {
      items = [];
      this.#byOwner.set(owner, items);
      this.#ring.push(owner);
    }
    if (front) items.unshift(item);
    else items.push(item);
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const owner = this.#ring[this.#next % this.#ring.length]!;
    const items = this.#byOwner.get(owner)!;
    const item = items.shift()!;
    this.size--;
    if (items.length === 0) this.#drop(owner);
    else this.#next = (this.#next + 1) % this.#ring.length;
    return item;
  }

  remove(owner: string, item: T): boolean {
    const items = this.#byOwner.get(owner);
    const at = items?.indexOf(item) ?? -1;
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
    return items;
  }

  removeAll(): T[] {
    const all = [...this.#byOwner.values()].flat();
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

export class FairQueue<T> {
  readonly #capacity: number;
  readonly #urgent = new RoundRobin<T>();
  readonly #normal = new RoundRobin<T>();

  constructor(capacity: number) {
    this.#capacity = capacity;
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
    (options.lane === 'urgent' ? this.#urgent : this.#normal).push(owner, item, front);
    return true;
  }

  shift(): T | undefined {
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
