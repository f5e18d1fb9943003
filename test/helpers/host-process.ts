/**
 * The real host (src/server.ts) as a child process on 127.0.0.1, for the reliability
 * suite and the soak: started, observed from outside (its pino log lines, its probes,
 * /metrics, /proc/<pid>), signalled and stopped.
 *
 * It runs the compiled host (dist/, which `npm test`'s pretest builds), as production and
 * the Dockerfile do. A TypeScript loader would work too (worker threads inherit it), but
 * it costs about 3 s per host start and per respawned worker thread on 2 vCPUs, enough to
 * push a loaded CI runner past the suite's bounded waits. A dist/ older than the sources
 * is refused with the command that fixes it, so a test never runs yesterday's host.
 *
 * Every child is killed with SIGKILL when the current process exits, so a failed test
 * never leaves a host holding a port or a core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { ROOT, SYNTHETIC_MODEL } from './paths.ts';

export { ROOT, STALL_MODEL, SYNTHETIC_MODEL } from './paths.ts';

const ENTRY = `${ROOT}dist/src/server.js`;

/** The newest modification time of a .ts file under `dir` (recursively), in ms. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return newest;
}

/** Throws unless dist/ was built after the last change to the host's sources. */
function assertBuilt(): void {
  let builtAt: number;
  try {
    builtAt = statSync(ENTRY).mtimeMs;
  } catch {
    throw new Error(`${ENTRY} is missing: run \`npm run build\` (npm test does it first)`);
  }
  const changedAt = Math.max(newestSource(`${ROOT}src`), newestSource(`${ROOT}workers`));
  if (changedAt > builtAt) throw new Error('dist/ is older than src/ or workers/: run `npm run build` (npm test does it first)');
}

export type LogLine = Record<string, unknown> & { msg?: string; time?: number; level?: number };

export interface HostOptions {
  /** Added to (and overriding) the defaults below. */
  env?: Record<string, string>;
  /** How long to wait for the `ready` log line (model loaded, listening). */
  readyTimeoutMs?: number;
  /** Log lines kept for `line()`/`lines()`; older ones are dropped. */
  keepLines?: number;
}

/** A small, deterministic host: one worker, one thread, no idle canary, fault markers honoured. */
export const BASE_ENV: Readonly<Record<string, string>> = {
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  KOKORO_MODEL: SYNTHETIC_MODEL,
  KOKORO_WORKERS: '1',
  KOKORO_THREADS_PER_WORKER: '1',
  KOKORO_CANARY_INTERVAL_MS: '600000',
  KOKORO_FAULT_INJECTION: '1',
};

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcStatus {
  threads: number;
  rssKb: number;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Waiter {
  match: (line: LogLine) => boolean;
  resolve: (line: LogLine) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const STDERR_KEPT = 200;
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class HostProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  readonly stderr: string[] = [];
  readonly #lines: LogLine[] = [];
  readonly #keep: number;
  readonly #waiters = new Set<Waiter>();
  #port = 0;

  private constructor(env: Record<string, string>, keepLines: number) {
    this.#keep = keepLines;
    const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...BASE_ENV, ...env };
    this.child = spawn(process.execPath, [ENTRY], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.child.pid === undefined) throw new Error('the host process could not be spawned');
    this.pid = this.child.pid;
    live.add(this.child);
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    void this.exited.then((status) => {
      live.delete(this.child);
      for (const w of this.#waiters) {
        clearTimeout(w.timer);
        w.reject(new Error(`the host exited (${status.signal ?? status.code}) first; stderr: ${this.stderrTail()}`));
      }
      this.#waiters.clear();
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => this.#onLine(text));
    createInterface({ input: this.child.stderr! }).on('line', (text) => {
      this.stderr.push(text);
      if (this.stderr.length > STDERR_KEPT) this.stderr.shift();
    });
  }

  /** Spawns the host without waiting for it. */
  static spawn(opts: HostOptions = {}): HostProcess {
    assertBuilt();
    return new HostProcess(opts.env ?? {}, opts.keepLines ?? 20_000);
  }

  /** Spawns the host and resolves once it logged `ready`; kills it if it does not get there. */
  static async start(opts: HostOptions = {}): Promise<HostProcess> {
    const host = HostProcess.spawn(opts);
    try {
      await host.ready(opts.readyTimeoutMs ?? 90_000);
    } catch (err) {
      host.kill('SIGKILL');
      await host.exited;
      throw err;
    }
    return host;
  }

  async ready(timeoutMs = 90_000): Promise<void> {
    const line = await this.line((l) => l.msg === 'ready', timeoutMs, "the 'ready' log line");
    this.#port = Number(line.port);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get port(): number {
    if (this.#port === 0) throw new Error('the host is not ready yet');
    return this.#port;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v1/tts/ws`;
  }

  stderrTail(lines = 20): string {
    return this.stderr.slice(-lines).join('\n');
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
   * causing the event; a test that fails before awaiting it leaves no unhandled rejection.
   */
  nextLine(match: (line: LogLine) => boolean, timeoutMs: number, what = 'a matching log line'): Promise<LogLine> {
    if (!this.running) return Promise.reject(new Error(`the host is not running; stderr: ${this.stderrTail()}`));
    const line = new Promise<LogLine>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`no ${what} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
    line.catch(() => undefined);
    return line;
  }

  /** GET a path; resolves with the status and the parsed JSON body (or the text). */
  async get(path: string, init: RequestInit = {}, timeoutMs = 5000): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; ms: number }> {
    const t0 = performance.now();
    const res = await fetch(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    return { status: res.status, body, headers: res.headers, ms: performance.now() - t0 };
  }

  readyz(): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
    return this.get('/readyz');
  }

  /** /readyz's pool section. */
  async pool(): Promise<Record<string, number>> {
    return ((await this.readyz()).body.pool ?? {}) as Record<string, number>;
  }

  async metrics(): Promise<MetricSample[]> {
    const res = await fetch(`${this.base}/metrics`, { signal: AbortSignal.timeout(5000) });
    return parsePrometheus(await res.text());
  }

  /** The sum of every sample of `name` whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sumMetric(await this.metrics(), name, labels);
  }

  /** Threads and RSS of the host process, from /proc/<pid>/status. */
  procStatus(): ProcStatus {
    return readProcStatus(this.pid);
  }

  /** Open file descriptors of the host process. */
  fdCount(): number {
    return readdirSync(`/proc/${this.pid}/fd`).length;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM (graceful drain), SIGKILL after `graceMs`; resolves with how it ended. */
  async stop(graceMs = 20_000): Promise<ExitStatus> {
    if (this.running) {
      this.child.kill('SIGTERM');
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
    if (this.#lines.length > this.#keep) this.#lines.shift();
    for (const w of [...this.#waiters]) {
      if (!w.match(line)) continue;
      this.#waiters.delete(w);
      clearTimeout(w.timer);
      w.resolve(line);
    }
  }
}

export function readProcStatus(pid: number): ProcStatus {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { threads: field('Threads'), rssKb: field('VmRSS') };
}

/** Prometheus text exposition, samples only (HELP/TYPE lines skipped). */
export function parsePrometheus(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export function sumMetric(samples: readonly MetricSample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * Calls `probe` every `everyMs` until it returns a value (not undefined), for at most
 * `timeoutMs`. For state only visible over HTTP from outside the host (readiness, pool
 * depth), where no event reaches the test; every wait is bounded.
 */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (performance.now() >= deadline) {
      throw new Error(`not ${what} within ${timeoutMs} ms${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Whether a command is on PATH (for the rows that need Debian tools). */
export function hasTool(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      return readdirSync(dir).includes(name);
    } catch {
      return false;
    }
  });
}

/** Rows that need a Debian tool fail loudly without it, unless KOKORO_ALLOW_MISSING_TOOLS=1 says to skip them. */
export const ALLOW_MISSING_TOOLS = process.env.KOKORO_ALLOW_MISSING_TOOLS === '1';

/** tap options for a test that needs `tool`: skipped, with the reason, only where allowed. */
export function toolTestOptions(tool: string): { skip?: string } {
  return !hasTool(tool) && ALLOW_MISSING_TOOLS ? { skip: `${tool} is not installed (KOKORO_ALLOW_MISSING_TOOLS=1)` } : {};
}

/** Why a missing tool fails the test, or null when it is installed. */
export function missingTool(tool: string): string | null {
  return hasTool(tool) ? null : `${tool} is not installed: apt-get install -y ${tool}, or set KOKORO_ALLOW_MISSING_TOOLS=1 to skip this row`;
}

/** Runs a command to completion (killed past `timeoutMs`); resolves with its exit code and output. */
export async function runCommand(cmd: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const collect = (d: Buffer) => {
    // Bounded: only the tail matters (summaries are printed last).
    output = (output + d.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  live.delete(child);
  return { code, output };
}

/** `p`, or a rejection naming `what` after `ms`; the timer is cleared either way. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a host whose port must be known before it listens). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** CPU time (user + system) the process has used, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number, ticksPerSecond = 100): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state (field 3).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
