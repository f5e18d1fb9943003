/**
 * onnxruntime builds and session options, on one sentence of the real model.
 *
 *   node --import tsx bench/runtime.ts [--model PATH] [--rounds 3] [--runs 1] [--threads 1,2] [--no-options] [--json]
 *
 * One English sentence (bench/texts.json, 94 phoneme tokens) is phonemized once; then
 * every case runs in a fresh child process: load the model, one untimed warm-up run, then
 * --runs timed session.run() calls. Cases take turns, round by round, so a busy spell on
 * the machine hits them all alike; the median over every round's runs is reported. Cases: the bundled and the
 * newer runtime (src/runtime; `npm run runtime:fetch`) at each thread count, and on the
 * newer runtime each session option the host sets (workers/kokoro/session.ts) flipped
 * from the host's choice: allow_spinning, the CPU memory arena, memory patterns.
 *
 * Nothing is judged: figures are printed (and with --json, one JSON object on the last
 * stdout line). Load averages before and after say how quiet the machine was.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { InferenceSession } from 'onnxruntime-node';
import { cacheRoot, runtimeDir } from '../src/runtime/paths.ts';
import { NEWER_RUNTIME } from '../src/runtime/pinned.ts';
import { loadRuntime } from '../src/runtime/resolve.ts';
import { sessionOptions } from '../workers/kokoro/session.ts';
import { median, round } from './lib/stats.ts';
import { table } from './lib/table.ts';

export const SENTENCE = 'Your appointment with the dentist is confirmed for Tuesday at half past three in the afternoon.';
export const GENUINE_MODEL = fileURLToPath(new URL('../../shared/models/kokoro-82m-v1.0-int8.onnx', import.meta.url));
const SAMPLE_RATE = 24_000;

/** Session options flipped away from the host's choice (all off in the host). */
export interface Overrides {
  allowSpinning?: boolean;
  cpuMemArena?: boolean;
  memPattern?: boolean;
}

export interface RuntimeCase {
  label: string;
  /** `bundled`, or a prepared runtime directory. */
  runtime: string;
  threads: number;
  overrides?: Overrides;
}

export interface SentenceInput {
  ids: number[];
  style: number[];
}

export interface CaseRun extends RuntimeCase {
  onnxruntime: { version: string; source: string; fallback_reason?: string };
  load_ms: number;
  runs_ms: number[];
  /** The child's RSS after its runs, session still open (the arena and memory patterns trade memory for time). */
  rss_mb: number;
  audio_s: number;
}

/** The host's session options with `o` applied. */
export function caseOptions(threads: number, o: Overrides = {}): InferenceSession.SessionOptions {
  const spin = o.allowSpinning === true ? '1' : '0';
  return {
    ...sessionOptions({ intraOpThreads: threads, enableCpuMemArena: o.cpuMemArena ?? false }),
    enableMemPattern: o.memPattern ?? false,
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}

/** Framed token ids and the af_heart style row for `text`, as the worker would feed them. */
export async function sentenceInput(text: string): Promise<SentenceInput> {
  const { phonemize } = await import('../workers/kokoro/phonemize.ts');
  const { frameIds, phonemesToIds } = await import('../workers/kokoro/tokenizer.ts');
  const { mixedStyle } = await import('../workers/kokoro/voices.ts');
  const ids = phonemesToIds(await phonemize(text, 'af_heart'));
  return { ids: [...frameIds(ids)].map(Number), style: [...(await mixedStyle([{ id: 'af_heart', weight: 1 }], ids.length))] };
}

/** The child: one case, from load to the last timed run. */
async function runCase(c: RuntimeCase, input: SentenceInput, model: string, runs: number): Promise<CaseRun> {
  const t0 = performance.now();
  const { ort, info } = await loadRuntime({ choice: c.runtime });
  const session = await ort.InferenceSession.create(model, caseOptions(c.threads, c.overrides));
  const idsName = session.inputNames.includes('input_ids') ? 'input_ids' : 'tokens';
  const feeds = {
    [idsName]: new ort.Tensor('int64', BigInt64Array.from(input.ids, BigInt), [1, input.ids.length]),
    style: new ort.Tensor('float32', Float32Array.from(input.style), [1, input.style.length]),
    speed: new ort.Tensor('float32', new Float32Array([1]), [1]),
  };
  const loadMs = performance.now() - t0;
  const first = await session.run(feeds);
  const samples = Object.values(first)[0]!.data.length;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  const rss = process.memoryUsage.rss();
  await session.release();
  return {
    ...c,
    onnxruntime: { version: info.version, source: info.source, ...(info.fallbackReason !== undefined ? { fallback_reason: info.fallbackReason } : {}) },
    load_ms: round(loadMs, 0),
    runs_ms: times.map((ms) => round(ms, 0)),
    rss_mb: Math.round(rss / 2 ** 20),
    audio_s: round(samples / SAMPLE_RATE, 2),
  };
}

export interface CaseResult extends CaseRun {
  median_ms: number;
}

/** Runs one case in a fresh process (no thread pool, arena or spinning thread of another case around). */
export function measureCase(c: RuntimeCase, input: SentenceInput, model: string, runs: number): CaseRun {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify({ c, input, model, runs })], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as CaseRun;
}

/** Every case once per round, in turn; per case, every round's runs with their median, and the median load time and RSS. */
export function measureRounds(cases: RuntimeCase[], input: SentenceInput, model: string, rounds: number, runs: number, onCase?: (c: RuntimeCase, round: number) => void): CaseResult[] {
  const children = new Map<RuntimeCase, CaseRun[]>(cases.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      onCase?.(c, r);
      children.get(c)!.push(measureCase(c, input, model, runs));
    }
  }
  return cases.map((c) => {
    const all = children.get(c)!;
    const runsMs = all.flatMap((run) => run.runs_ms);
    return {
      ...all[0]!,
      runs_ms: runsMs,
      median_ms: round(median(runsMs), 0),
      load_ms: round(median(all.map((run) => run.load_ms)), 0),
      rss_mb: round(median(all.map((run) => run.rss_mb)), 0),
    };
  });
}

/** bundled vs newer per thread count; then, on the newer runtime, each option flipped. */
export function runtimeCases(newerDir: string, threads: number[], withOptions: boolean): RuntimeCase[] {
  const cases: RuntimeCase[] = [];
  for (const n of threads) {
    cases.push({ label: 'bundled', runtime: 'bundled', threads: n }, { label: 'newer', runtime: newerDir, threads: n });
  }
  if (!withOptions) return cases;
  const flips: Array<[string, Overrides]> = [
    ['newer allow_spinning=1', { allowSpinning: true }],
    ['newer cpu_mem_arena=1', { cpuMemArena: true }],
    ['newer mem_pattern=1', { memPattern: true }],
  ];
  for (const n of threads) for (const [label, overrides] of flips) cases.push({ label, runtime: newerDir, threads: n, overrides });
  return cases;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      model: { type: 'string', default: process.env.KOKORO_MODEL ?? GENUINE_MODEL },
      rounds: { type: 'string', default: '3' },
      runs: { type: 'string', default: '1' },
      threads: { type: 'string', default: '1,2' },
      'no-options': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.child !== undefined) {
    const { c, input, model, runs } = JSON.parse(values.child) as { c: RuntimeCase; input: SentenceInput; model: string; runs: number };
    process.stdout.write(`${JSON.stringify(await runCase(c, input, model, runs))}\n`);
    return 0;
  }
  if (!existsSync(values.model)) {
    process.stderr.write(`no model at ${values.model} (--model PATH)\n`);
    return 1;
  }
  const newerDir = runtimeDir(cacheRoot(process.env.KOKORO_ORT_DIR), NEWER_RUNTIME.version);
  const loadBefore = loadavg().map((l) => round(l, 2));
  const input = await sentenceInput(SENTENCE);
  const cases = runtimeCases(newerDir, values.threads.split(',').map(Number), !values['no-options']);
  const results = measureRounds(cases, input, values.model, Number(values.rounds), Number(values.runs), (c, r) =>
    process.stderr.write(`runtime bench: round ${r + 1}, ${c.label}, ${c.threads} thread(s), load ${loadavg()[0]!.toFixed(2)}\n`),
  );
  const loadAfter = loadavg().map((l) => round(l, 2));
  const rows = results.map((r) => [
    r.label,
    `${r.onnxruntime.version} (${r.onnxruntime.source})`,
    r.threads,
    r.median_ms,
    r.runs_ms.join(' / '),
    round(r.median_ms / 1000 / r.audio_s, 3),
    r.load_ms,
    r.rss_mb,
  ]);
  console.log(`runtime bench: ${values.model}, "${SENTENCE}" (${input.ids.length - 2} tokens, ${results[0]?.audio_s ?? '?'} s of audio)`);
  console.log(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}`);
  console.log(table(['case', 'onnxruntime', 'threads', 'median ms', 'runs ms', 'rtf', 'load ms', 'rss MB'], rows));
  for (const r of results) if (r.onnxruntime.fallback_reason !== undefined) console.log(`WARNING ${r.label}: ${r.onnxruntime.fallback_reason}`);
  if (values.json) console.log(JSON.stringify({ model: values.model, tokens: input.ids.length - 2, load_before: loadBefore, load_after: loadAfter, results }));
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
