/**
 * Writes the two synthetic Kokoro stand-ins that tests and CI run instead of the real weights:
 *
 *   kokoro-synthetic.onnx  Kokoro's inputs and output; real MatMul work that grows with the
 *                          token count; a waveform that encodes ids, style and speed (contract.ts)
 *   kokoro-stall.onnx      the same, but input_ids[0,0] = K > 0 first runs a Loop of K blocks
 *                          of native work (STALL_MS_PER_UNIT each), so session.run blocks
 *
 *   input_ids [1,N] ──Gather(E)──► [N,D] ─(+ style·Ws)─► L × Tanh(·W) ─► Tanh(·Wp) ─► m [N]
 *        │                                                                            │
 *        └─ per-sample id ─► sine of TONE_BASE_HZ + TONE_STEP_HZ·id ─► × A(style)·(0.9 + 0.1·m)
 *   durations [1,N] int64: one frame per token (a frame is `hop` samples), so Kokoro's sum rule
 *   sum(durations) × samples-per-frame == samples holds here too and tests exercise word timing.
 *
 * Deterministic (seeded weights) and idempotent: files whose bytes already match are left alone.
 * Usage: npm run model:synthetic [-- DIR]
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  AMP_BASE,
  AMP_STYLE,
  AMP_STYLE_GAIN,
  MIX,
  SAMPLE_RATE,
  SAMPLES_PER_TOKEN,
  SPEED_MAX,
  SPEED_MIN,
  STYLE_DIM,
  TONE_BASE_HZ,
  TONE_STEP_HZ,
  VOCAB_SIZE,
} from './contract.ts';
import { BOOL, F32, GraphBuilder, I64, attr, encodeModel, valueInfo } from './onnx-graph.ts';

/** Hidden width and depth of the MatMul stack: about 1.5 ms per token on one thread (README). */
const HIDDEN = 1024;
const LAYERS = 48;
/** Rows of the stall Loop's MatMul block: one iteration is one STALL_MS_PER_UNIT unit. */
const STALL_ROWS = 36;

export const SYNTHETIC_FILE = 'kokoro-synthetic.onnx';
export const STALL_FILE = 'kokoro-stall.onnx';
/** This folder in the source tree, also when run from dist/. */
export const DEFAULT_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../models/synthetic/' : './', import.meta.url));

/** mulberry32: a tiny seeded PRNG, so every run writes byte-identical weights. */
function uniform(count: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let a = seed >>> 0;
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    out[i] = ((((x ^ (x >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Uniform weights that keep unit variance through a layer with `rows` inputs. */
const weights = (rows: number, cols: number, seed: number, gain = 1) =>
  uniform(rows * cols, (gain * Math.sqrt(3)) / Math.sqrt(rows), seed);

/** Name of the shape constant [-1]; added once per graph by addShared(). */
const FLAT = 'flat';

/** Adds the MatMul stack: ids [1,N] and style [1,256] -> m [N], one value in (-1,1) per token. */
function tokenMix(g: GraphBuilder, ids: string, style: string, w: string): string {
  const emb = g.f32('embedding', [VOCAB_SIZE, HIDDEN], uniform(VOCAB_SIZE * HIDDEN, 1, 1));
  const ws = g.f32('style_proj', [STYLE_DIM, HIDDEN], weights(STYLE_DIM, HIDDEN, 2));
  const wp = g.f32('out_proj', [HIDDEN, 1], weights(HIDDEN, 1, 4));
  const flatShape = g.i64('flat_hidden', [2], [-1, HIDDEN]);
  let h = g.op('Add', [g.op('Reshape', [g.op('Gather', [emb, ids]), flatShape]), g.op('MatMul', [style, ws])]);
  for (let l = 0; l < LAYERS; l++) h = g.op('Tanh', [g.op('MatMul', [h, w])]);
  return g.op('Reshape', [g.op('Tanh', [g.op('MatMul', [h, wp])]), FLAT]);
}

/** Adds the waveform: N*hop samples, token i's segment a tone of its id (contract.ts). */
function waveform(g: GraphBuilder, ids: string, style: string, speed: string, m: string, extra?: string): string {
  const i64 = (name: string, v: number) => g.i64(name, [], [v]);
  const s = g.op('Clip', [speed, g.scalar('speed_min', SPEED_MIN), g.scalar('speed_max', SPEED_MAX)]);
  const hop = g.op('Cast', [g.op('Floor', [g.op('Div', [g.scalar('samples_per_token', SAMPLES_PER_TOKEN), s])])], [attr.int('to', I64)]);
  const n = g.op('Shape', [ids], [attr.int('start', 1), attr.int('end', 2)]);
  const total = g.op('Squeeze', [g.op('Mul', [n, hop]), g.i64('axis0', [1], [0])]);
  const t = g.op('Range', [i64('zero', 0), total, i64('one', 1)]);
  const token = g.op('Div', [t, hop]);
  const j = g.op('Mod', [t, hop]);
  const id = g.op('Gather', [g.op('Reshape', [ids, FLAT]), token]);
  const hz = g.op('Add', [g.op('Mul', [id, i64('tone_step', TONE_STEP_HZ)]), i64('tone_base', TONE_BASE_HZ)]);
  // The phase in whole cycles stays exact in int64, so high tones keep their pitch in float32.
  const cycle = g.op('Mod', [g.op('Mul', [hz, j]), i64('sample_rate', SAMPLE_RATE)]);
  const radians = g.op('Mul', [g.op('Cast', [cycle], [attr.int('to', F32)]), g.scalar('rad_per_step', (2 * Math.PI) / SAMPLE_RATE)]);
  const gain = g.op('Add', [g.op('Mul', [g.op('Gather', [m, token]), g.scalar('mix', MIX)]), g.scalar('unmixed', 1 - MIX)]);
  const meanStyle = g.op('ReduceMean', [style], [attr.int('keepdims', 0)]);
  const styleAmp = g.op('Mul', [g.op('Tanh', [g.op('Mul', [meanStyle, g.scalar('amp_gain', AMP_STYLE_GAIN)])]), g.scalar('amp_style', AMP_STYLE)]);
  let amp = g.op('Add', [styleAmp, g.scalar('amp_base', AMP_BASE)]);
  if (extra !== undefined) amp = g.op('Add', [amp, extra]);
  return g.op('Mul', [g.op('Mul', [g.op('Sin', [radians]), gain]), amp]);
}

const INPUTS = [
  valueInfo('input_ids', I64, [1, 'sequence_length']),
  valueInfo('style', F32, [1, STYLE_DIM]),
  valueInfo('speed', F32, [1]),
];
const WAVEFORM = valueInfo('waveform', F32, ['num_samples']);
const DURATIONS = valueInfo('durations', I64, [1, 'sequence_length']);

/** Constants both models share; returns the hidden weights' name. */
function addShared(g: GraphBuilder): string {
  g.i64(FLAT, [1], [-1]);
  return g.f32('hidden', [HIDDEN, HIDDEN], weights(HIDDEN, HIDDEN, 3, 1.2));
}

/**
 * `ids`: the token ids the waveform speaks; each is one frame of `hop` samples (contract.ts).
 * Without `durations` the model is an export that cannot be timed (tests of the untimed host).
 */
function finish(g: GraphBuilder, wave: string, ids: string, name: string, doc: string, durations = true): Uint8Array {
  g.nodes.push({ opType: 'Identity', input: [wave], output: ['waveform'], name: 'waveform' });
  if (!durations) return encodeModel(g.graph(name, INPUTS, [WAVEFORM]), doc);
  const frames = g.op('Expand', [g.i64('one_frame', [], [1]), g.op('Shape', [ids])]);
  g.nodes.push({ opType: 'Identity', input: [frames], output: ['durations'], name: 'durations' });
  return encodeModel(g.graph(name, INPUTS, [WAVEFORM, DURATIONS]), doc);
}

export function syntheticModel(opts: { durations?: boolean } = {}): Uint8Array {
  const g = new GraphBuilder();
  const w = addShared(g);
  const m = tokenMix(g, 'input_ids', 'style', w);
  const wave = waveform(g, 'input_ids', 'style', 'speed', m);
  return finish(g, wave, 'input_ids', 'kokoro_synthetic', 'Synthetic Kokoro stand-in (models/README.md)', opts.durations ?? true);
}

/**
 * The Loop body: one STALL_ROWS x HIDDEN block through the shared hidden weights. The carried
 * state makes every iteration depend on the last, so no runtime can skip or batch them.
 */
function stallBody(w: string): ReturnType<GraphBuilder['graph']> {
  const b = new GraphBuilder('loop');
  const next = b.op('Tanh', [b.op('MatMul', ['state_in', w])]);
  b.nodes.push({ opType: 'Identity', input: ['cond_in'], output: ['cond_out'], name: 'cond' });
  b.nodes.push({ opType: 'Identity', input: [next], output: ['state_out'], name: 'state' });
  return b.graph(
    'stall_block',
    [valueInfo('iter', I64, []), valueInfo('cond_in', BOOL, []), valueInfo('state_in', F32, [STALL_ROWS, HIDDEN])],
    [valueInfo('cond_out', BOOL, []), valueInfo('state_out', F32, [STALL_ROWS, HIDDEN])],
  );
}

export function stallModel(): Uint8Array {
  const g = new GraphBuilder();
  const w = addShared(g);
  const axis1 = g.i64('axis1', [1], [1]);
  const first = g.op('Slice', ['input_ids', g.i64('start0', [1], [0]), g.i64('end1', [1], [1]), axis1]);
  const k = g.op('Squeeze', [first, g.i64('axes01', [2], [0, 1])]);
  const trips = g.op('Max', [k, g.i64('no_trips', [], [0])]);
  const state0 = g.f32('stall_state', [STALL_ROWS, HIDDEN], uniform(STALL_ROWS * HIDDEN, 1, 5));
  const final = g.op('Loop', [trips, '', state0], [attr.graph('body', stallBody(w))]);
  // Zero times a bounded sum: the output waits for the Loop without changing a sample.
  const hold = g.op('Mul', [g.op('ReduceSum', [final], [attr.int('keepdims', 0)]), g.scalar('zero_f', 0)]);
  // The marker K is not a token: the model speaks the pad id in its place.
  const rest = g.op('Slice', ['input_ids', g.i64('start1', [1], [1]), g.i64('end_max', [1], [Number.MAX_SAFE_INTEGER]), axis1]);
  const ids = g.op('Concat', [g.i64('pad', [1, 1], [0]), rest], [attr.int('axis', 1)]);
  const m = tokenMix(g, ids, 'style', w);
  const wave = waveform(g, ids, 'style', 'speed', m, hold);
  return finish(g, wave, ids, 'kokoro_stall', 'Synthetic Kokoro stall model (models/README.md)');
}

/** Writes content to path unless it already holds exactly that; atomic, so a loading worker never sees half a file. */
function writeIfChanged(path: string, content: Uint8Array): boolean {
  try {
    if (Buffer.from(content).equals(readFileSync(path))) return false;
  } catch {
    // Missing or unreadable: write it.
  }
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
  return true;
}

export interface WrittenModel {
  path: string;
  bytes: number;
  changed: boolean;
}

/** Writes both synthetic models into `dir` (created if needed). */
export function generateSyntheticModels(dir: string = DEFAULT_DIR): WrittenModel[] {
  mkdirSync(dir, { recursive: true });
  const models: [string, Uint8Array][] = [
    [SYNTHETIC_FILE, syntheticModel()],
    [STALL_FILE, stallModel()],
  ];
  return models.map(([file, content]) => {
    const path = join(dir, file);
    return { path, bytes: content.byteLength, changed: writeIfChanged(path, content) };
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = process.argv[2] !== undefined ? resolve(process.argv[2]) : DEFAULT_DIR;
  for (const m of generateSyntheticModels(dir)) {
    console.log(`${m.changed ? 'wrote' : 'unchanged'} ${m.path} (${(m.bytes / 1e6).toFixed(1)} MB)`);
  }
}
