/**
 * Part 1, raw: what the hardware allows. For each workers x threads plan, plain
 * worker_threads (bench/raw-worker.ts) each run their own session back to back over
 * inputs phonemized once up front. Figure: audio seconds synthesized per wall second.
 */
import type { Worker } from 'node:worker_threads';
import { SAMPLE_RATE } from '../workers/kokoro/tokenizer.ts';
import { planName, type Plan } from './lib/plans.ts';
import { progress } from './lib/progress.ts';
import { median, round } from './lib/stats.ts';
import { startWorker } from './lib/ts-worker.ts';
import type { RawGo, RawWorkerData, RawWorkerMessage } from './raw-worker.ts';

export interface RawPlanResult extends Plan {
  /** Median over rounds. */
  audio_s_per_s: number;
  rounds_audio_s_per_s: number[];
  runs: number;
  audio_s: number;
  wall_s: number;
  load_ms: number;
}

interface RoundResult {
  audio_s_per_s: number;
  runs: number;
  audio_s: number;
  wall_s: number;
  load_ms: number;
}

export interface RawResult {
  plans: RawPlanResult[];
  best: RawPlanResult | undefined;
  inputs: number;
  tokens: number;
  phonemize_ms_per_call: number;
}

export interface RawOptions {
  modelPath: string;
  plans: readonly Plan[];
  inputs: BigInt64Array[];
  durationMs: number;
  /** Plans run in interleaved rounds (A B C, A B C, ...); each plan's figure is its median. */
  rounds: number;
  maxRunsPerWorker: number;
  loadTimeoutMs: number;
}

const WORKER_FILE = new URL(`./raw-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

function nextMessage(worker: Worker, timeoutMs: number, what: string): Promise<RawWorkerMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`raw worker: no ${what} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: RawWorkerMessage) => done(undefined, m);
    const onError = (err: Error) => done(err);
    const onExit = (code: number) => done(new Error(`raw worker exited (code ${code}) before ${what}`));
    function done(err: Error | undefined, m?: RawWorkerMessage) {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (err !== undefined) reject(err);
      else if (m!.type === 'failed') reject(new Error(`raw worker failed: ${m!.message}`));
      else resolve(m!);
    }
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

async function runPlan(plan: Plan, opts: RawOptions): Promise<RoundResult> {
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < plan.workers; i++) {
      const data: RawWorkerData = {
        modelPath: opts.modelPath,
        threads: plan.threads,
        inputs: opts.inputs,
        offset: Math.floor((i * opts.inputs.length) / plan.workers),
      };
      workers.push(startWorker(WORKER_FILE, { workerData: data }));
    }
    // All sessions load before any runs: a loading worker would steal CPU from the others.
    const ready = await Promise.all(workers.map((w) => nextMessage(w, opts.loadTimeoutMs, 'ready')));
    const loadMs = Math.max(...ready.map((m) => (m.type === 'ready' ? m.loadMs : 0)));
    const go: RawGo = { type: 'go', durationMs: opts.durationMs, maxRuns: opts.maxRunsPerWorker };
    const bound = opts.durationMs * 3 + 60_000;
    const t0 = performance.now();
    const finished = workers.map((w) => nextMessage(w, bound, 'result'));
    for (const w of workers) w.postMessage(go);
    const results = await Promise.all(finished);
    const wallS = (performance.now() - t0) / 1000;
    let runs = 0;
    let samples = 0;
    for (const r of results) {
      if (r.type !== 'done') continue;
      runs += r.runs;
      samples += r.samples;
    }
    const audioS = samples / SAMPLE_RATE;
    return { audio_s_per_s: round(audioS / wallS, 2), runs, audio_s: round(audioS, 1), wall_s: round(wallS, 2), load_ms: Math.round(loadMs) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function runRaw(opts: RawOptions, tokens: number, phonemizeMsPerCall: number): Promise<RawResult> {
  const rounds = new Map<Plan, RoundResult[]>(opts.plans.map((p) => [p, []]));
  for (let r = 0; r < opts.rounds; r++) {
    for (const plan of opts.plans) {
      const result = await runPlan(plan, opts);
      rounds.get(plan)!.push(result);
      progress(`raw: plan ${planName(plan)} round ${r + 1}/${opts.rounds} -> ${result.audio_s_per_s} audio s/s (${result.runs} runs in ${result.wall_s} s)`);
    }
  }
  const plans = opts.plans.map((plan): RawPlanResult => {
    const list = rounds.get(plan)!;
    const sum = (f: (x: RoundResult) => number) => list.reduce((n, x) => n + f(x), 0);
    return {
      ...plan,
      audio_s_per_s: round(median(list.map((x) => x.audio_s_per_s)), 2),
      rounds_audio_s_per_s: list.map((x) => x.audio_s_per_s),
      runs: sum((x) => x.runs),
      audio_s: round(sum((x) => x.audio_s), 1),
      wall_s: round(sum((x) => x.wall_s), 2),
      load_ms: Math.max(...list.map((x) => x.load_ms)),
    };
  });
  const best = plans.reduce<RawPlanResult | undefined>((b, p) => (b === undefined || p.audio_s_per_s > b.audio_s_per_s ? p : b), undefined);
  return { plans, best, inputs: opts.inputs.length, tokens, phonemize_ms_per_call: round(phonemizeMsPerCall, 1) };
}
