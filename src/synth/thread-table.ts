/**
 * What the pool knows of each worker thread, in one record per thread id instead of one
 * map per fact: its Worker (once adopted from Piscina), whether Piscina has marked it
 * ready, whether it has loaded the model, and its native-code slot
 * (src/shared/native-slots.ts). A thread's record goes when the thread exits.
 */
import type { Worker } from 'node:worker_threads';
import { SLOT_NATIVE } from '../shared/native-slots.ts';

interface ThreadRecord {
  worker?: Worker;
  /** Piscina has marked it ready ('workerCreate'): it can take a task at once. */
  created: boolean;
  loaded: boolean;
  slot?: number;
}

export class ThreadTable {
  readonly #threads = new Map<number, ThreadRecord>();

  #record(threadId: number): ThreadRecord {
    let r = this.#threads.get(threadId);
    if (r === undefined) {
      r = { created: false, loaded: false };
      this.#threads.set(threadId, r);
    }
    return r;
  }

  /** Records a Piscina thread not seen before; false when it already was. */
  adopt(worker: Worker): boolean {
    const r = this.#record(worker.threadId);
    if (r.worker !== undefined) return false;
    r.worker = worker;
    return true;
  }

  markCreated(threadId: number): void {
    this.#record(threadId).created = true;
  }

  setSlot(threadId: number, slot: number): void {
    this.#record(threadId).slot = slot;
  }

  markLoaded(threadId: number, slot: number): void {
    const r = this.#record(threadId);
    r.slot = slot;
    r.loaded = true;
  }

  /** The thread is dead or dying (its 'exit' may come later): it serves no more. */
  unload(threadId: number): void {
    const r = this.#threads.get(threadId);
    if (r !== undefined) r.loaded = false;
  }

  /** The thread exited: forgets it and returns its slot, to be released. */
  exit(threadId: number): number | undefined {
    const slot = this.#threads.get(threadId)?.slot;
    this.#threads.delete(threadId);
    return slot;
  }

  worker(threadId: number): Worker | undefined {
    return this.#threads.get(threadId)?.worker;
  }

  slotOf(threadId: number): number | undefined {
    return this.#threads.get(threadId)?.slot;
  }

  /** Threads with a Worker (adopted and not yet exited). */
  get live(): number {
    let n = 0;
    for (const r of this.#threads.values()) if (r.worker !== undefined) n++;
    return n;
  }

  get loaded(): number {
    let n = 0;
    for (const r of this.#threads.values()) if (r.loaded) n++;
    return n;
  }

  /** Loaded and marked ready by Piscina: the threads that can take a task now. */
  get serving(): number {
    let n = 0;
    for (const r of this.#threads.values()) if (r.loaded && r.created) n++;
    return n;
  }

  /** The oldest live thread, for recycling. */
  first(): { threadId: number; worker: Worker } | undefined {
    for (const [threadId, r] of this.#threads) if (r.worker !== undefined) return { threadId, worker: r.worker };
    return undefined;
  }

  /** Threads whose slot says they are inside native code now. */
  inNative(slots: Int32Array): number {
    let n = 0;
    for (const r of this.#threads.values()) if (r.slot !== undefined && Atomics.load(slots, r.slot) === SLOT_NATIVE) n++;
    return n;
  }
}
