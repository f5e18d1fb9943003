/**
 * The real host (the compiled dist/src/server.js, or src/server.ts under tsx) as a child process on a port picked
 * here, and the three views into it the bench reads: /debug/eventloop, /metrics (RSS)
 * and its pino log lines.
 */
import { existsSync } from 'node:fs';
import { Child, freePort, waitHttpOk } from '../../harness/child.ts';
import { getJson, getText } from './http-client.ts';
import type { Plan } from './plans.ts';

/** Which host to run, on which model. */
export interface HostTarget {
  root: string;
  /** Absolute path of the entry: a .ts one runs under tsx. */
  entry: string;
  modelPath: string;
  readyTimeoutMs: number;
}

export interface HostOptions extends HostTarget {
  /** Omitted: the host's own default plan. */
  plan?: Plan;
  /** Extra environment (fault injection, deadlines). */
  env?: Record<string, string>;
}

export interface EventLoopReport {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Passed through from the bench's own environment; every KOKORO_* setting is explicit. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG'];

export class Host {
  readonly child: Child;
  readonly base: string;
  readonly wsUrl: string;
  readonly plan: Plan & { vcpus: number };

  private constructor(child: Child, port: number, plan: Plan & { vcpus: number }) {
    this.child = child;
    this.base = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/v1/tts/ws`;
    this.plan = plan;
  }

  static async start(opts: HostOptions): Promise<Host> {
    const entry = opts.entry;
    if (!existsSync(entry)) throw new Error(`the host entry ${entry} does not exist`);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {};
    for (const name of INHERITED) if (process.env[name] !== undefined) env[name] = process.env[name];
    Object.assign(env, {
      PORT: String(port),
      HOST: '127.0.0.1',
      KOKORO_MODEL: opts.modelPath,
      LOG_LEVEL: 'info',
      ...(opts.plan !== undefined ? { KOKORO_WORKERS: String(opts.plan.workers), KOKORO_THREADS_PER_WORKER: String(opts.plan.threads) } : {}),
      ...opts.env,
    });
    const child = new Child({ name: 'host', args: entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry], env, cwd: opts.root });
    // A healthy host logs no error while it starts; the first one (a worker that cannot
    // load, say) fails the start at once instead of after the whole readiness timeout.
    let unsubscribe: () => void = () => undefined;
    const failed = new Promise<never>((_resolve, reject) => {
      unsubscribe = child.onLine((l) => {
        if (!(Number(l.level) >= 50)) return;
        const detail = (l.err as { message?: string } | undefined)?.message ?? l.reason;
        reject(new Error(`the host logged an error while starting: ${String(l.msg)}${detail === undefined ? '' : `: ${String(detail)}`}`));
      });
    });
    try {
      const ready = (async () => {
        const planLine = await child.line((l) => l.msg === 'pool plan', opts.readyTimeoutMs, "'pool plan' log line");
        const p = (planLine.plan ?? {}) as { vcpus?: number; workers?: number; threadsPerWorker?: number };
        await waitHttpOk(`http://127.0.0.1:${port}/readyz`, child, opts.readyTimeoutMs);
        return new Host(child, port, { vcpus: Number(p.vcpus), workers: Number(p.workers), threads: Number(p.threadsPerWorker) });
      })();
      // Whichever loses the race may still reject (the child is stopped below): not unhandled.
      ready.catch(() => undefined);
      return await Promise.race([ready, failed]);
    } catch (err) {
      await child.stop();
      throw err;
    } finally {
      unsubscribe();
    }
  }

  /** Reads the event-loop histogram; `reset` starts a new window after reading. */
  eventLoop(reset = false): Promise<EventLoopReport> {
    return getJson<EventLoopReport>(`${this.base}/debug/eventloop${reset ? '?reset=1' : ''}`);
  }

  /** process_resident_memory_bytes from /metrics, in MiB (NaN if absent). */
  async rssMb(): Promise<number> {
    const { text } = await getText(`${this.base}/metrics`);
    const m = /^process_resident_memory_bytes\s+([0-9.e+]+)/m.exec(text);
    return m === null ? NaN : Math.round(Number(m[1]) / 2 ** 20);
  }

  readyz(): Promise<{ status: number; body: Record<string, unknown> }> {
    return getText(`${this.base}/readyz`).then(({ status, text }) => ({ status, body: JSON.parse(text) as Record<string, unknown> }));
  }

  /** SIGTERM (graceful drain), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    await this.child.stop(graceMs);
  }
}
