/**
 * Part 2, naive: bench/naive-server.ts (inference on the main thread) as a child process,
 * under the same closed-loop load and text set as the host, with a /healthz probe every
 * 100 ms. Figures: its throughput and how long liveness probes wait.
 */
import { fileURLToPath } from 'node:url';
import { Child, freePort, waitHttpOk } from '../harness/child.ts';
import { Prober, type ProbeSummary } from './lib/http-client.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import { progress } from './lib/progress.ts';
import { HttpLoadClient } from './lib/transports.ts';

export interface NaiveResult {
  threads: number;
  load: LoadResult;
  probe_ms: ProbeSummary;
}

export interface NaiveOptions {
  modelPath: string;
  threads: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  texts: readonly string[];
  root: string;
}

const SERVER = fileURLToPath(new URL(`./naive-server${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

export async function runNaive(opts: NaiveOptions): Promise<NaiveResult> {
  const port = await freePort();
  const args = SERVER.endsWith('.ts') ? ['--import', 'tsx', SERVER] : [SERVER];
  const env = { PATH: process.env.PATH ?? '', NAIVE_PORT: String(port), NAIVE_MODEL: opts.modelPath, NAIVE_THREADS: String(opts.threads) };
  progress(`naive: starting the main-thread server (${opts.threads} intra-op threads) on 127.0.0.1:${port}`);
  const child = new Child({ name: 'naive server', args, env, cwd: opts.root });
  const base = `http://127.0.0.1:${port}`;
  const clients: HttpLoadClient[] = [];
  const prober = new Prober(`${base}/healthz`);
  try {
    await waitHttpOk(`${base}/readyz`, child, 120_000);
    for (let i = 0; i < opts.concurrency; i++) clients.push(new HttpLoadClient(`${base}/speak`, (text) => ({ text })));
    let probe: ProbeSummary | undefined;
    progress(`naive: concurrency ${opts.concurrency} for ${opts.durationMs / 1000} s, probing /healthz every 100 ms`);
    const load = await runLoad(clients, {
      concurrency: opts.concurrency,
      warmupMs: opts.warmupMs,
      durationMs: opts.durationMs,
      drainMs: opts.drainMs,
      maxTurns: 100_000,
      texts: opts.texts,
      label: 'naive',
      onWindowStart: () => prober.start(),
      onWindowEnd: async () => {
        probe = await prober.stop();
      },
    });
    progress(`naive: ${load.audio_s_per_s} audio s/s; /healthz p99 ${probe?.p99} ms, max ${probe?.max} ms`);
    return { threads: opts.threads, load, probe_ms: probe! };
  } finally {
    await prober.stop();
    await Promise.all(clients.map((c) => c.close()));
    await child.stop();
  }
}
