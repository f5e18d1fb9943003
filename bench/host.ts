/**
 * Part 3, host: the real host under closed-loop load over WebSocket and HTTP at rising
 * concurrency. Per level: throughput, real-time factor, first-audio latency, event-loop
 * delay inside the host (its histogram reset at the window start), /healthz probe
 * latency, RSS.
 */
import type { EventLoopReport, Host } from './lib/host.ts';
import { Prober, type ProbeSummary } from './lib/http-client.ts';
import { runLoad, type LoadClient, type LoadResult } from './lib/load.ts';
import { progress } from './lib/progress.ts';
import { round } from './lib/stats.ts';
import { HttpLoadClient, WsLoadClient, speechBody } from './lib/transports.ts';

export type Transport = 'ws' | 'http';

export interface LevelResult extends LoadResult {
  transport: Transport;
  /** Wall seconds per audio second across the whole load (1 / throughput). */
  rtf: number;
  eventloop: EventLoopReport | null;
  probe_ms: ProbeSummary;
  rss_mb: number;
}

export interface LevelOptions {
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  texts: readonly string[];
}

async function openClients(host: Host, transport: Transport, n: number): Promise<LoadClient[]> {
  if (transport === 'http') return Array.from({ length: n }, () => new HttpLoadClient(`${host.base}/v1/audio/speech`, speechBody));
  const clients: LoadClient[] = [];
  try {
    for (let i = 0; i < n; i++) clients.push(await WsLoadClient.open(host.wsUrl));
  } catch (err) {
    await Promise.all(clients.map((c) => c.close()));
    throw err;
  }
  return clients;
}

export async function measureLevel(host: Host, transport: Transport, concurrency: number, opts: LevelOptions, label: string): Promise<LevelResult> {
  const clients = await openClients(host, transport, concurrency);
  const prober = new Prober(`${host.base}/healthz`);
  let eventloop: EventLoopReport | null = null;
  let probe: ProbeSummary | undefined;
  let rss = NaN;
  try {
    const load = await runLoad(clients, {
      concurrency,
      warmupMs: opts.warmupMs,
      durationMs: opts.durationMs,
      drainMs: opts.drainMs,
      maxTurns: 100_000,
      texts: opts.texts,
      label,
      onWindowStart: async () => {
        await host.eventLoop(true);
        prober.start();
      },
      onWindowEnd: async () => {
        [eventloop, probe, rss] = await Promise.all([host.eventLoop().catch(() => null), prober.stop(), host.rssMb().catch(() => NaN)]);
      },
    });
    return { transport, ...load, rtf: round(load.audio_s_per_s > 0 ? 1 / load.audio_s_per_s : NaN, 3), eventloop, probe_ms: probe!, rss_mb: rss };
  } finally {
    await prober.stop();
    await Promise.all(clients.map((c) => c.close()));
  }
}

/**
 * Untimed load before the first measured level: the first turns on a fresh host pay for
 * JIT, wasm and allocator warm-up in every worker (2-4x slower chunks), which would land
 * in whichever level happens to come first.
 */
export async function warmUp(host: Host, texts: readonly string[], ms: number): Promise<void> {
  const clients = await openClients(host, 'ws', Math.max(2, 2 * host.plan.workers));
  try {
    // Turns still running at the end are simply cancelled: nothing here is measured.
    await runLoad(clients, { concurrency: clients.length, warmupMs: 0, durationMs: ms, drainMs: 500, maxTurns: 100_000, texts, label: 'warm' });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

export function describeLevel(r: LevelResult): string {
  const el = r.eventloop === null ? 'n/a' : `${r.eventloop.p99_ms} ms`;
  return `${r.audio_s_per_s} audio s/s, ttfa p50 ${r.ttfa_ms.p50} ms, audible p50 ${r.audible_ms.p50} ms, underruns ${r.underruns} (${r.stall_ms} ms), loop p99 ${el}, probe p99 ${r.probe_ms.p99} ms, ${r.turns} turns${r.failed > 0 ? `, ${r.failed} failed` : ''}`;
}

/**
 * One turn alone on the warm host, in ms: the mean over one short, one medium and one long
 * text (the set's rotation), the unit the windows are sized in, so a slow model's turns
 * never outlive their window (figures of 0 or null).
 */
export async function calibrateTurnMs(host: Host, texts: readonly string[]): Promise<number> {
  const [client] = await openClients(host, 'ws', 1);
  try {
    const r = await runLoad([client!], { concurrency: 1, warmupMs: 0, durationMs: 600_000, drainMs: 1000, maxTurns: 3, texts, label: 'calibrate' });
    return r.turn_ms.mean;
  } finally {
    await client!.close();
  }
}

/**
 * A level's window holds at least two turns per client: with `c` clients sharing `workers`
 * workers a turn takes about turnMs x max(1, c / workers); warm-up and drain scale alike.
 */
export function sizeLevel(opts: LevelOptions, turnMs: number, c: number, workers: number): LevelOptions {
  if (!Number.isFinite(turnMs)) return opts;
  const perTurn = turnMs * Math.max(1, c / workers);
  return { ...opts, warmupMs: Math.max(opts.warmupMs, Math.round(perTurn / 2)), durationMs: Math.max(opts.durationMs, Math.round(2 * perTurn)), drainMs: Math.max(opts.drainMs, Math.round(1.5 * perTurn)) };
}

export async function runHostLevels(host: Host, transport: Transport, levels: readonly number[], base: LevelOptions, turnMs = NaN): Promise<LevelResult[]> {
  const results: LevelResult[] = [];
  for (const c of levels) {
    const opts = sizeLevel(base, turnMs, c, host.plan.workers);
    progress(`host: ${transport} concurrency ${c} for ${opts.durationMs / 1000} s`);
    const r = await measureLevel(host, transport, c, opts, `${transport}${c}`);
    progress(`host: ${transport} c=${c} -> ${describeLevel(r)}`);
    results.push(r);
  }
  return results;
}

/** The saturation level of a transport: the one with the highest throughput. */
export function saturation(levels: readonly LevelResult[], transport: Transport): LevelResult | undefined {
  return levels.filter((l) => l.transport === transport).reduce<LevelResult | undefined>((b, l) => (b === undefined || l.audio_s_per_s > b.audio_s_per_s ? l : b), undefined);
}

/**
 * First audio as a voice agent's user hears it: one client streams a reply as an LLM does
 * (`tokensPerSecond` pieces of ~4 characters, then flush), `turns` times in a row.
 * audible_ms counts from the first piece sent to the first sample at or above -40 dBFS.
 */
export async function measureLlmStream(host: Host, reply: string, tokensPerSecond: number, turns: number): Promise<LoadResult> {
  const client = await WsLoadClient.open(host.wsUrl, tokensPerSecond);
  try {
    const r = await runLoad([client], { concurrency: 1, warmupMs: 0, durationMs: 600_000, drainMs: 1000, maxTurns: turns, texts: [reply], label: 'llm' });
    progress(`host: llm stream -> audible p50 ${r.audible_ms.p50} ms (first byte ${r.ttfa_ms.p50} ms), underruns ${r.underruns} (${r.stall_ms} ms) over ${r.turns} turns`);
    return r;
  } finally {
    await client.close();
  }
}
