/**
 * The real host as a child process on 127.0.0.1, for the reliability
 * suite and the soak: started, observed from outside (its pino log lines, its probes,
 * /metrics, /proc/<pid>), signalled and stopped.
 *
 * It runs the compiled host (dist/, which `npm test`'s pretest builds), as production and
 * the Dockerfile do. A TypeScript loader would work too (worker threads inherit it), but
 * it costs about 3 s per host start on 2 vCPUs (4.5 s to ready against 1.4 s), enough to
 * push a loaded CI runner past the suite's bounded waits. A dist/ older than the sources
 * is refused with the command that fixes it, so a test never runs yesterday's host.
 *
 * Every host (harness/child.ts) and tool is killed with SIGKILL when the current process
 * exits, so a failed test never leaves a host holding a port or a core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Child, freePort, type ExitStatus, type LogLine } from './child.ts';
import { ROOT, SYNTHETIC_MODEL } from './paths.ts';

export { freePort, type ExitStatus, type LogLine };

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
  // Sizes from the measured cost curve depend on how fast this machine ran the calibration, so a
  // test that counts a turn's chunks would count differently on a busy runner. The sizing has its
  // own tests (test/unit/chunk-sizing, gateway-chunk-sizing); the soak runs with it on.
  KOKORO_CHUNK_SIZING: '0',
};

export interface ProcStatus {
  threads: number;
  rssKb: number;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class HostProcess {
  readonly proc: Child;
  #port = 0;

  private constructor(env: Record<string, string>, keepLines: number) {
    const childEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...BASE_ENV, ...env };
    this.proc = new Child({ name: 'the host', args: [ENTRY], env: childEnv, cwd: ROOT, keepLines });
  }

  get pid(): number {
    return this.proc.pid;
  }

  get exited(): Promise<ExitStatus> {
    return this.proc.exited;
  }

  /** The last 200 lines of the host's stderr. */
  get stderr(): readonly string[] {
    return this.proc.stderr;
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
    return this.proc.running;
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
    return this.proc.stderrTail(lines);
  }

  /** Kept log lines matching `match`. */
  lines(match?: (line: LogLine) => boolean): LogLine[] {
    return this.proc.lines(match);
  }

  /** The first kept line matching `match`, or the next one to arrive within `timeoutMs`. */
  line(match: (line: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine> {
    return this.proc.line(match, timeoutMs, what);
  }

  /** The next line from now on matching `match`, within `timeoutMs`: register it before causing the event. */
  nextLine(match: (line: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine> {
    return this.proc.nextLine(match, timeoutMs, what);
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
    this.proc.kill(signal);
  }

  /** SIGTERM (graceful drain), SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs = 20_000): Promise<ExitStatus> {
    return this.proc.stop(graceMs);
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

/** Tools still running; killed if this process exits first. */
const tools = new Set<ChildProcess>();
process.once('exit', () => {
  for (const tool of tools) tool.kill('SIGKILL');
});

/** Runs a command to completion (killed past `timeoutMs`); resolves with its exit code and output. */
export async function runCommand(cmd: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  tools.add(child);
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
  tools.delete(child);
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

/** CPU time (user + system) the process has used, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number, ticksPerSecond = 100): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state (field 3).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
