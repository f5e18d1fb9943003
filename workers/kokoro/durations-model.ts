/**
 * Per-token durations from any Kokoro v1.0 export: read a `durations`/`duration` output when
 * the export has one, otherwise prepare, once, a copy of the model that outputs the tensor the
 * model already computes internally and uses to expand tokens into frames.
 *
 * The tensor is found by structure, never by name: an int64 Cast of Clip(Round(x)) whose values
 * are summed (CumSum or ReduceSum, within a few nodes) to size the frame expansion. On the genuine
 * int8 file it is `/encoder/Cast_output_0`, [1, T+2]; names differ between exports, the
 * structure does not. The copy adds an Identity node and a graph output named `durations`, so a
 * prepared file describes itself; nothing else changes (onnx-wire.ts).
 *
 * The copy lives beside the original, or in the cache (KOKORO_MODEL_CACHE_DIR) when that directory
 * is read-only (../shared/models is; see writableDir). Its name carries a SHA-256 key of the
 * original's path, size and mtime, so a replaced model is prepared again. It is written to a private temporary file and renamed into
 * place: two workers preparing at once both write whole files, and rename is atomic.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { TimingUnavailableReason } from '../../src/shared/protocol.ts';
import { ONNX_INT64, OnnxWireError, appendGraphNode, appendGraphOutput, readGraph, type WireGraph, type WireNode } from './onnx-wire.ts';

/** Output names an export may already give its durations. */
export const DURATION_OUTPUTS = ['durations', 'duration'] as const;
export const PREPARED_OUTPUT = 'durations';

export type DurationsModel =
  | { ok: true; path: string; output: string; prepared: boolean }
  | { ok: false; reason: TimingUnavailableReason; message: string };

/** How far past the Cast the sum that sizes the expansion may be (genuine: Gather -> CumSum). */
const SUM_SEARCH_DEPTH = 3;
const SUMS = new Set(['CumSum', 'ReduceSum']);

/** The graph's duration tensor, found by structure. */
export function findDurationTensor(graph: Pick<WireGraph, 'nodes'>): { ok: true; name: string } | { ok: false; reason: TimingUnavailableReason; message: string } {
  const producer = new Map<string, WireNode>();
  const consumers = new Map<string, WireNode[]>();
  for (const node of graph.nodes) {
    for (const out of node.outputs) producer.set(out, node);
    for (const input of node.inputs) {
      const list = consumers.get(input);
      if (list === undefined) consumers.set(input, [node]);
      else list.push(node);
    }
  }
  const reachesSum = (tensor: string, depth: number): boolean =>
    (consumers.get(tensor) ?? []).some((n) => SUMS.has(n.opType) || (depth > 1 && n.outputs.some((o) => reachesSum(o, depth - 1))));
  const found = graph.nodes.filter((node) => {
    if (node.opType !== 'Cast' || node.ints.get('to') !== ONNX_INT64 || node.outputs.length !== 1) return false;
    const clip = producer.get(node.inputs[0] ?? '');
    if (clip?.opType !== 'Clip') return false;
    const round = producer.get(clip.inputs[0] ?? '');
    return round?.opType === 'Round' && reachesSum(node.outputs[0]!, SUM_SEARCH_DEPTH);
  });
  if (found.length === 0) {
    return { ok: false, reason: 'duration_tensor_not_found', message: 'no int64 Cast of Clip(Round(x)) feeding a sum: not a Kokoro duration predictor' };
  }
  if (found.length > 1) {
    return { ok: false, reason: 'duration_tensor_ambiguous', message: `${found.length} candidate duration tensors: ${found.map((n) => n.outputs[0]).join(', ')}` };
  }
  return { ok: true, name: found[0]!.outputs[0]! };
}

/** The prepared copy's file name: the original's name and a key of its identity. */
export function preparedFileName(modelPath: string): string {
  const real = realpathSync(modelPath);
  const st = statSync(real);
  const key = createHash('sha256').update(`${real}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
  return `${basename(real).replace(/\.onnx$/i, '')}.durations-${key}.onnx`;
}

/**
 * A directory we may add files to. Its mode bits count even for root, who passes access(W_OK)
 * everywhere: a directory nobody may write (r-x, like ../shared/models) is left alone.
 */
export function writableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return (statSync(dir).mode & 0o222) !== 0;
  } catch {
    return false;
  }
}

function writeAtomically(path: string, content: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}-${threadId}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** The model with `durations` added as an output, from the original's bytes. */
export function withDurationsOutput(model: Uint8Array): { ok: true; bytes: Uint8Array; tensor: string } | Extract<DurationsModel, { ok: false }> {
  let graph: WireGraph;
  try {
    graph = readGraph(model);
  } catch (err) {
    const message = err instanceof OnnxWireError ? err.message : String(err);
    return { ok: false, reason: 'model_unreadable', message: `not an ONNX model: ${message}` };
  }
  const tensor = findDurationTensor(graph);
  if (!tensor.ok) return tensor;
  const withNode = appendGraphNode(model, graph, { opType: 'Identity', name: 'durations_output', inputs: [tensor.name], outputs: [PREPARED_OUTPUT] });
  return { ok: true, bytes: appendGraphOutput(withNode, readGraph(withNode), PREPARED_OUTPUT, ONNX_INT64), tensor: tensor.name };
}

/**
 * Where to load a model that outputs durations. Blocking (reads and may write the whole file):
 * call it in a worker at load, never on the main thread.
 */
export function durationsModel(modelPath: string, cacheDir: string): DurationsModel {
  let file: string;
  let bytes: Uint8Array;
  let outputs: string[];
  try {
    file = preparedFileName(modelPath);
    const beside = join(dirname(modelPath), file);
    const cached = join(cacheDir, file);
    for (const path of [beside, cached]) if (existsSync(path)) return { ok: true, path, output: PREPARED_OUTPUT, prepared: true };
    bytes = readFileSync(modelPath);
    outputs = readGraph(bytes).outputs;
  } catch (err) {
    const message = err instanceof OnnxWireError ? `not an ONNX model: ${err.message}` : err instanceof Error ? err.message : String(err);
    return { ok: false, reason: 'model_unreadable', message };
  }
  const native = DURATION_OUTPUTS.find((name) => outputs.includes(name));
  if (native !== undefined) return { ok: true, path: modelPath, output: native, prepared: false };
  const built = withDurationsOutput(bytes);
  if (!built.ok) return built;
  const errors: string[] = [];
  const targets = writableDir(dirname(modelPath)) ? [join(dirname(modelPath), file), join(cacheDir, file)] : [join(cacheDir, file)];
  for (const path of targets) {
    try {
      writeAtomically(path, built.bytes);
      return { ok: true, path, output: PREPARED_OUTPUT, prepared: true };
    } catch (err) {
      errors.push(`${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return { ok: false, reason: 'prepared_model_unwritable', message: `could not write the prepared model (${errors.join('; ')})` };
}
