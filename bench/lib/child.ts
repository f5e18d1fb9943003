/**
 * Child processes of the bench (the naive server, the host). Every child is registered
 * here and killed when the bench ends, fails or is interrupted, so a run never leaves a
 * server holding a port or CPU behind it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export type LogLine = Record<string, unknown> & { msg?: string; time?: number };

interface Waiter {
  match: (line: LogLine) => boolean;
  resolve: (line: LogLine) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Lines kept per child for `find()`; older ones are dropped (a soak logs a lot). */
const KEPT_LINES = 5000;
const STDERR_KEPT = 50;

export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly #lines: LogLine[] = [];
  readonly #stderr: string[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #listeners = new Set<(line: LogLine) => void>();

  constructor(name: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string) {
    this.name = name;
    this.process = spawn(process.execPath, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = once(this.process, 'exit').then(([code]) => code as number | null);
    createInterface({ input: this.process.stdout! }).on('line', (text) => this.#onLine(text));
    createInterface({ input: this.process.stderr! }).on('line', (text) => {
      this.#stderr.push(text);
      if (this.#stderr.length > STDERR_KEPT) this.#stderr.shift();
    });
    void this.exited.then((code) => {
      for (const w of this.#waiters) {
        clearTimeout(w.timer);
        w.reject(new Error(`${this.name} exited (code ${code}) first; stderr: ${this.stderrTail()}`));
      }
      this.#waiters.clear();
    });
    children.add(this);
    void this.exited.then(() => children.delete(this));
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  stderrTail(): string {
    return this.#stderr.slice(-10).join('\n');
  }

  /** Calls `fn` for every later JSON log line; returns the unsubscribe. */
  onLine(fn: (line: LogLine) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  find(match: (line: LogLine) => boolean): LogLine | undefined {
    return this.#lines.find(match);
  }

  /** The first line (already seen or later) matching `match`, within `timeoutMs`. */
  line(match: (line: LogLine) => boolean, timeoutMs: number, what = 'a log line'): Promise<LogLine> {
    const seen = this.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return this.nextLine(match, timeoutMs, what);
  }

  /** The next line from now on matching `match`, within `timeoutMs`. */
  nextLine(match: (line: LogLine) => boolean, timeoutMs: number, what = 'a log line'): Promise<LogLine> {
    if (!this.running) return Promise.reject(new Error(`${this.name} is not running; stderr: ${this.stderrTail()}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  #onLine(text: string): void {
    let line: LogLine;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null) return;
      line = parsed as LogLine;
    } catch {
      return;
    }
    this.#lines.push(line);
    if (this.#lines.length > KEPT_LINES) this.#lines.shift();
    for (const fn of this.#listeners) fn(line);
    for (const w of [...this.#waiters]) {
      if (!w.match(line)) continue;
      this.#waiters.delete(w);
      clearTimeout(w.timer);
      w.resolve(line);
    }
  }
}

const children = new Set<Child>();

/** Process ids of the children still running. */
export function childPids(): number[] {
  return [...children].filter((c) => c.running && c.process.pid !== undefined).map((c) => c.process.pid!);
}

/** Kills every child still running (SIGKILL: used on the way out). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.running) child.process.kill('SIGKILL');
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Polls `url` until it answers 200, with a short growing backoff, for at most
 * `timeoutMs`; fails at once if `child` exits. (A bench harness waiting for readiness
 * has no event to wait on: the child's readiness is only visible over HTTP.)
 */
export async function waitHttpOk(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let delay = 50;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (!child.running) throw new Error(`${child.name} exited (code ${child.process.exitCode}) before ${url} was ready; stderr: ${child.stderrTail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (last: ${last}); ${child.name} stderr: ${child.stderrTail()}`);
}
