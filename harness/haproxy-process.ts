/**
 * HAProxy (Debian's package) as a child process running the shipped
 * deploy/compose/haproxy.cfg, with the addresses and check intervals of a test given as
 * the environment variables that file reads. Its server state changes ("Server kokoro/h2
 * is DOWN, ...") are events a test can wait for; it is killed if the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { until } from './host-process.ts';
import { ROOT } from './paths.ts';
import { Waiters } from './waiters.ts';

export const HAPROXY_CFG = `${ROOT}deploy/compose/haproxy.cfg`;

/** haproxy lives in /usr/sbin, which a non-root PATH may lack. */
export function haproxyBinary(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((dir) => `${dir}/haproxy`).find((path) => existsSync(path));
}

export interface CheckSettings {
  interMs: number;
  fall: number;
  rise: number;
  timeoutMs: number;
}

export interface ServerEvent {
  server: string;
  state: 'UP' | 'DOWN';
  /** performance.now() when the line arrived. */
  at: number;
  line: string;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const STATE_LINE = /^Server kokoro\/(\w+) is (UP|DOWN)\b/;

export class Haproxy {
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  readonly events: ServerEvent[] = [];
  readonly output: string[] = [];
  readonly #waiters = new Waiters<ServerEvent>();
  readonly #statsSocket: string;

  private constructor(binary: string, env: Record<string, string>, statsSocket: string) {
    this.#statsSocket = statsSocket;
    this.process = spawn(binary, ['-db', '-f', HAPROXY_CFG], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this.process);
    this.exited = once(this.process, 'exit').then(() => {
      running.delete(this.process);
      this.#waiters.rejectAll(new Error(`haproxy exited; output: ${this.output.slice(-10).join('\n')}`));
    });
    // The raw log goes to stdout and the same state change to stderr as a [WARNING]: stdout only.
    createInterface({ input: this.process.stdout! }).on('line', (line) => this.#onLine(line));
    createInterface({ input: this.process.stderr! }).on('line', (line) => this.#keep(line));
  }

  /** Starts HAProxy on `bind` in front of `servers` (h1, h2, h3 in order); resolves once every server passed a check. */
  static async start(binary: string, opts: { bind: string; servers: readonly string[]; check: CheckSettings; statsSocket: string; upWithinMs: number }): Promise<Haproxy> {
    const env: Record<string, string> = {
      LB_BIND: opts.bind,
      CHECK_INTER: `${opts.check.interMs}ms`,
      CHECK_FALL: String(opts.check.fall),
      CHECK_RISE: String(opts.check.rise),
      CHECK_TIMEOUT: `${opts.check.timeoutMs}ms`,
      STATS_SOCKET: opts.statsSocket,
      // The addresses are IPs: the resolver is never asked; loopback all the same.
      DNS: '127.0.0.1:53',
    };
    opts.servers.forEach((address, i) => (env[`KOKORO_H${i + 1}`] = address));
    const lb = new Haproxy(binary, env, opts.statsSocket);
    try {
      // Checks are only visible through the runtime API: every server UP with a passed L7 check.
      await until(async () => {
        if (lb.process.exitCode !== null) throw new Error(`haproxy exited at start: ${lb.output.join('\n')}`);
        const stats = await lb.stats();
        return stats.length === opts.servers.length && stats.every((s) => s.status === 'UP' && s.check_status === 'L7OK') ? true : undefined;
      }, opts.upWithinMs, 'every server UP with a passed check');
    } catch (err) {
      await lb.stop();
      throw err;
    }
    return lb;
  }

  /** One row per server of backend kokoro, from the runtime API's `show stat` (CSV). */
  async stats(): Promise<Array<Record<string, string>>> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.split('\n').filter((l) => l !== '');
    const names = header!.replace(/^# /, '').split(',');
    return rows
      .map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i], v])) as Record<string, string>)
      .filter((r) => r.pxname === 'kokoro' && r.svname !== 'BACKEND');
  }

  /** A runtime API command over the stats socket; resolves with its whole answer. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.#statsSocket);
      let answer = '';
      socket.setTimeout(2000, () => socket.destroy(new Error(`haproxy runtime API: no answer to "${line}"`)));
      socket.on('connect', () => socket.write(`${line}\n`));
      socket.on('data', (d) => (answer += d.toString('utf8')));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  #keep(line: string): void {
    this.output.push(line);
    if (this.output.length > 2000) this.output.shift();
  }

  #onLine(line: string): void {
    this.#keep(line);
    const m = STATE_LINE.exec(line);
    if (m === null) return;
    const event: ServerEvent = { server: m[1]!, state: m[2] as 'UP' | 'DOWN', at: performance.now(), line };
    this.events.push(event);
    this.#waiters.offer(event);
  }

  /** The next state change from now on matching `match`, within `timeoutMs`: register it before causing it. */
  next(match: (e: ServerEvent) => boolean, timeoutMs: number, what: string): Promise<ServerEvent> {
    return this.#waiters.next(match, timeoutMs, () => `haproxy: ${what} within ${timeoutMs} ms; state changes: ${JSON.stringify(this.events.map((e) => `${e.server} ${e.state}`))}`);
  }

  /** `server` went `state`: the next such change, within `timeoutMs`. */
  becomes(server: string, state: 'UP' | 'DOWN', timeoutMs: number): Promise<ServerEvent> {
    return this.next((e) => e.server === server && e.state === state, timeoutMs, `no "${server} is ${state}"`);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    await this.exited;
  }
}
