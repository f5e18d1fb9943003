/**
 * The host's shutdown state and everything that must be drained before it exits:
 * WebSocket sessions and HTTP speech streams register here while they live.
 *
 *   shutdown(grace) -> shuttingDown = true (readiness false, new work refused)
 *                   -> every member.beginShutdown(): finish what is in flight
 *                   -> wait until no member is busy, at most `grace` ms
 *                   -> every member.forceClose(): stop now, release everything
 */
import { EventEmitter } from 'node:events';

export interface Drainable {
  /** True while work is in flight (open turns, a stream still being written). */
  busy(): boolean;
  /** Shutdown started: accept nothing new; finish and close when idle. */
  beginShutdown(): void;
  /** The grace period is over: stop now. Resolves once the member's resources are released. */
  forceClose(): Promise<void>;
}

export class Lifecycle extends EventEmitter {
  readonly #members = new Set<Drainable>();
  #shuttingDown = false;
  #shutdown: Promise<void> | undefined;

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  get size(): number {
    return this.#members.size;
  }

  add(member: Drainable): void {
    this.#members.add(member);
    if (this.#shuttingDown) member.beginShutdown();
  }

  delete(member: Drainable): void {
    if (this.#members.delete(member)) this.changed();
  }

  /** A member's busy state may have changed. */
  changed(): void {
    this.emit('changed');
  }

  /** Idempotent: every caller gets the same drain. */
  shutdown(graceMs: number): Promise<void> {
    this.#shutdown ??= this.#run(graceMs);
    return this.#shutdown;
  }

  async #run(graceMs: number): Promise<void> {
    this.#shuttingDown = true;
    this.emit('shutting_down');
    for (const member of [...this.#members]) member.beginShutdown();
    await this.#idle(graceMs);
    await Promise.all([...this.#members].map((m) => m.forceClose()));
  }

  #idle(graceMs: number): Promise<void> {
    const isIdle = () => [...this.#members].every((m) => !m.busy());
    if (isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.off('changed', check);
        resolve();
      };
      const check = () => {
        if (isIdle()) finish();
      };
      const timer = setTimeout(finish, graceMs);
      this.on('changed', check);
    });
  }
}
