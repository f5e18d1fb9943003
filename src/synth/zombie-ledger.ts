/**
 * Workers we terminated whose threads have not exited yet.
 *
 * Worker.terminate() stops JavaScript, but onnxruntime-node's session.run is synchronous
 * native code: a thread inside it keeps a core busy until the call returns, and only then
 * emits 'exit'. Until that 'exit', the thread is a zombie: counted, reported, and past a
 * grace period escalated (readiness false; optionally the process exits for its supervisor).
 */
import type { Worker } from 'node:worker_threads';
import type { ZombieInfo } from './pool-types.ts';

interface Entry {
  since: number;
  timer: NodeJS.Timeout;
}

export class ZombieLedger {
  readonly #graceMs: number;
  readonly #onOverdue: (zombie: ZombieInfo) => void;
  readonly #onChange: () => void;
  readonly #entries = new Map<number, Entry>();

  constructor(graceMs: number, onOverdue: (zombie: ZombieInfo) => void, onChange: () => void) {
    this.#graceMs = graceMs;
    this.#onOverdue = onOverdue;
    this.#onChange = onChange;
  }

  /** Call right before terminating `worker`; its 'exit' clears the entry. */
  track(worker: Worker): void {
    const threadId = worker.threadId;
    if (threadId < 0 || this.#entries.has(threadId)) return;
    const since = performance.now();
    const timer = setTimeout(() => this.#onOverdue({ threadId, ageMs: performance.now() - since }), this.#graceMs);
    timer.unref();
    this.#entries.set(threadId, { since, timer });
    worker.once('exit', () => this.release(threadId));
    this.#onChange();
  }

  release(threadId: number): void {
    const entry = this.#entries.get(threadId);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.#entries.delete(threadId);
    this.#onChange();
  }

  get count(): number {
    return this.#entries.size;
  }

  list(now = performance.now()): ZombieInfo[] {
    return [...this.#entries].map(([threadId, e]) => ({ threadId, ageMs: now - e.since }));
  }

  /** Zombies older than the grace period. */
  overdue(now = performance.now()): ZombieInfo[] {
    return this.list(now).filter((z) => z.ageMs >= this.#graceMs);
  }

  clear(): void {
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
    this.#entries.clear();
  }
}
