/**
 * A Node child process that logs JSON lines (pino), for every harness that runs one: the
 * bench (the naive server, the host), the reliability suite and the soak
 * (harness/host-process.ts). It keeps the recent log lines and stderr, lets a caller
 * wait for a matching line with a bound, and is killed with SIGKILL when this process
 * exits, so a failed run never leaves a server holding a port or a core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { Waiters } from './waiters.ts';

export type LogLine = Record<string, unknown> & { msg?: string; time?: number; level?: number };

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  /** Names the child in error messages. */
  name: string;
  /** Arguments to `node`: the entry and its flags. */
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** JSON log lines kept for `lines()` and `line()`; older ones are dropped (a soak logs a lot). */
  keepLines?: number;
  /** stderr lines kept. */
  keepStderr?: number;
}

const children = new Set<Child>();
process.once('exit', killAllChildren);

export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  /** The last `keepStderr` lines of stderr. */
  readonly stderr: string[] = [];
  readonly #lines: LogLine[] = [];
  readonly #keepLines: number;
  readonly #keepStderr: number;
  readonly #waiters = new Waiters<LogLine>();
  readonly #listeners = new Set<(line: LogLine) => void>();

  constructor(opts: ChildOptions) {
    this.name = opts.name;
    this.#keepLines = opts.keepLines ?? 5000;
    this.#keepStderr = opts.keepStderr ?? 200;
    this.process = spawn(process.execPath, [...opts.args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.process.pid === undefined) throw new Error(`${this.name} could not be spawned`);
    this.pid = this.process.pid;
    children.add(this);
    this.exited = once(this.process, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    void this.exited.then((status) => {
      children.delete(this);
      this.#waiters.rejectAll(new Error(`${this.name} exited (${status.signal ?? status.code}) first; stderr: ${this.stderrTail()}`));
    });
    createInterface({ input: this.process.stdout! }).on('line', (text) => this.#onLine(text));
    createInterface({ input: this.process.stderr! }).on('line', (text) => {
      this.stderr.push(text);
      if (this.stderr.length > this.#keepStderr) this.stderr.shift();
    });
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  stderrTail(lines = 20): string {
    return this.stderr.slice(-lines).join('\n');
  }

  /** Calls `fn` for every later JSON log line; returns the unsubscribe. */
  onLine(fn: (line: LogLine) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Kept log lines matching `match`. */
  lines(match: (line: LogLine) => boolean = () => true): LogLine[] {
    return this.#lines.filter(match);
  }

  /** The first kept line matching `match`, or the next one to arrive within `timeoutMs`. */
  line(match: (line: LogLine) => boolean, timeoutMs: number, what = 'a matching log line'): Promise<LogLine> {
    const seen = this.#lines.find(match);
    return seen !== undefined ? Promise.resolve(seen) : this.nextLine(match, timeoutMs, what);
  }

  /**
   * The next line from now on matching `match`, within `timeoutMs`. Register it before
   * causing the event; a caller that fails before awaiting it leaves no unhandled rejection.
   */
  nextLine(match: (line: LogLine) => boolean, timeoutMs: number, what = 'a matching log line'): Promise<LogLine> {
    if (!this.running) return Promise.reject(new Error(`${this.name} is not running; stderr: ${this.stderrTail()}`));
    return this.#waiters.next(match, timeoutMs, () => `${this.name}: no ${what} within ${timeoutMs} ms`);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.process.kill(signal);
  }

  /** SIGTERM (a graceful drain), SIGKILL after `graceMs`; resolves with how it ended. */
  async stop(graceMs = 5000): Promise<ExitStatus> {
    if (this.running) {
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
      const status = await this.exited;
      clearTimeout(timer);
      return status;
    }
    return this.exited;
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
    if (this.#lines.length > this.#keepLines) this.#lines.shift();
    for (const fn of this.#listeners) fn(line);
    this.#waiters.offer(line);
  }
}

/** Process ids of the children still running. */
export function childPids(): number[] {
  return [...children].filter((c) => c.running).map((c) => c.pid);
}

/** Kills every child still running (SIGKILL: used on the way out). */
export function killAllChildren(): void {
  for (const child of children) child.kill('SIGKILL');
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
    if (!child.running) throw new Error(`${child.name} exited (code ${child.process.exitCode ?? child.process.signalCode}) before ${url} was ready; stderr: ${child.stderrTail()}`);
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
