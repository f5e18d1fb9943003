/**
 * A bounded queue that is fair across owners (connections, HTTP requests): it hands out
 * one item of each owner in turn, so one long turn cannot starve the other connections.
 *
 *   owners (round-robin ring):  A -> B -> C -> A ...
 *   per owner:                  FIFO of its items
 *
 * shift() takes the head of the next owner in the ring. Items can be removed anywhere
 * (a cancelled or expired chunk) without disturbing the others.
 */
export class FairQueue<T> {
  readonly #capacity: number;
  readonly #byOwner = new Map<string, T[]>();
  #ring: string[] = [];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#size;
  }

  get full(): boolean {
    return this.#size >= this.#capacity;
  }

  /** False when full: nothing is queued. */
  push(owner: string, item: T, front = false): boolean {
    if (this.full && !front) return false;
    let items = this.#byOwner.get(owner);
    if (items === undefined) {
      items = [];
      this.#byOwner.set(owner, items);
      this.#ring.push(owner);
    }
    if (front) items.unshift(item);
    else items.push(item);
    this.#size++;
    return true;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const owner = this.#ring[this.#next % this.#ring.length]!;
    const items = this.#byOwner.get(owner)!;
    const item = items.shift()!;
    this.#size--;
    if (items.length === 0) {
      this.#drop(owner);
    } else {
      this.#next = (this.#next + 1) % this.#ring.length;
    }
    return item;
  }

  remove(owner: string, item: T): boolean {
    const items = this.#byOwner.get(owner);
    const at = items?.indexOf(item) ?? -1;
    if (items === undefined || at < 0) return false;
    items.splice(at, 1);
    this.#size--;
    if (items.length === 0) this.#drop(owner);
    return true;
  }

  /** Remove and return every item of `owner`. */
  removeOwner(owner: string): T[] {
    const items = this.#byOwner.get(owner) ?? [];
    this.#size -= items.length;
    if (items.length > 0) this.#drop(owner);
    return items;
  }

  /** Remove and return everything, oldest owner first. */
  removeAll(): T[] {
    const all = [...this.#byOwner.values()].flat();
    this.#byOwner.clear();
    this.#ring = [];
    this.#next = 0;
    this.#size = 0;
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
