/**
 * Worker threads that have left service but are still running: the pool's zombies.
 *
 * - `terminated`: Worker.terminate() was called (a chunk hung in JavaScript). The entry
 *   clears on the thread's 'exit'.
 * - `native`: a chunk passed its run deadline inside onnxruntime's synchronous native
 *   session.run. Terminating such a thread aborts the whole process when the call
 *   returns (src/shared/native-slots.ts), so it is abandoned instead and the pool clears
 *   the entry when the call returns.
 *
 * Either way the thread keeps a core busy. Past a grace period the ledger escalates:
 * readiness false, and optionally the process exits for its supervisor.
 */
import type { Worker } from 'node:worker_threads';
import type { ZombieInfo } from './pool-types.ts';

interface Entry {
  since: number;
  kind: ZombieInfo['kind'];
  timer: NodeJS.Timeout;
  /** Its grace timer has fired and the pool was told. */
  escalated: boolean;
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

  /** A thread about to be terminated: its 'exit' clears the entry. */
  trackTerminated(worker: Worker): void {
    const threadId = worker.threadId;
    if (this.#add(threadId, 'terminated')) worker.once('exit', () => this.release(threadId));
  }

  /** A thread abandoned inside native code: the pool calls release() when the call returns. */
  trackNative(threadId: number): void {
    this.#add(threadId, 'native');
  }

  #add(threadId: number, kind: ZombieInfo['kind']): boolean {
    if (threadId < 0 || this.#entries.has(threadId)) return false;
    const since = performance.now();
    const timer = setTimeout(() => {
      // A timer may fire a fraction of a millisecond before performance.now() says the grace
      // has passed: mark the entry, so readiness (overdue()) agrees with the escalation at once.
      entry.escalated = true;
      this.#onOverdue({ threadId, kind, ageMs: performance.now() - since });
    }, this.#graceMs);
    timer.unref();
    const entry = { since, kind, timer, escalated: false };
    this.#entries.set(threadId, entry);
    this.#onChange();
    return true;
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

  has(threadId: number): boolean {
    return this.#entries.has(threadId);
  }

  list(now = performance.now()): ZombieInfo[] {
    return [...this.#entries].map(([threadId, e]) => ({ threadId, kind: e.kind, ageMs: now - e.since }));
  }

  /** Zombies older than the grace period (escalated, or past it by the clock). */
  overdue(now = performance.now()): ZombieInfo[] {
    return this.list(now).filter((z) => z.ageMs >= this.#graceMs || this.#entries.get(z.threadId)?.escalated === true);
  }
}
