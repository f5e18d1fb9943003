/**
 * The worker's own onnxruntime-node session: explicit options, both published Kokoro
 * export variants (input `input_ids` or `tokens`, output `waveform` or `audio`).
 *
 * onnxruntime itself comes from src/runtime/resolve.ts: the newer runtime prepared by
 * `npm run runtime:fetch` when there is one (KOKORO_ORT=auto), else onnxruntime-node's
 * bundled one. The session says which in `runtime`, and the worker reports it.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { loadRuntime, type RuntimeOptions } from '../../src/runtime/resolve.ts';
import type { RuntimeInfo } from '../../src/runtime/types.ts';

export interface SessionSettings {
  intraOpThreads: number;
  enableCpuMemArena: boolean;
  /** Which onnxruntime; default auto. */
  runtime?: RuntimeOptions | undefined;
}

/** Brackets the synchronous native call (src/shared/native-slots.ts). */
export interface NativeGuard {
  /** False: the main thread is terminating this worker; do not enter native code. */
  enter(): boolean;
  leave(): void;
}

const UNGUARDED: NativeGuard = { enter: () => true, leave: () => undefined };

export interface KokoroSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The onnxruntime this session runs on. */
  readonly runtime: RuntimeInfo;
  /** Synchronous native work happens inside; resolves with the waveform. */
  run(ids: BigInt64Array, style: Float32Array, speed: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export function sessionOptions(settings: SessionSettings): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: settings.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Spinning threads burn idle cores that other workers need (matrix A15).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    // Every call has a new input shape: memory patterns only grow RSS (kokoro-js users saw it double).
    enableMemPattern: false,
    enableCpuMemArena: settings.enableCpuMemArena,
  };
}

function pick(names: readonly string[], wanted: readonly string[], what: string, path: string): string {
  const found = wanted.find((w) => names.includes(w));
  if (found === undefined) {
    throw new Error(`${path} is not a Kokoro model: no ${what} named ${wanted.join(' or ')} (it has ${names.join(', ')})`);
  }
  return found;
}

export async function openSession(path: string, settings: SessionSettings, guard: NativeGuard = UNGUARDED): Promise<KokoroSession> {
  const { ort, info } = await loadRuntime(settings.runtime);
  const session = await ort.InferenceSession.create(path, sessionOptions(settings));
  const idsName = pick(session.inputNames, ['input_ids', 'tokens'], 'token input', path);
  pick(session.inputNames, ['style'], 'style input', path);
  pick(session.inputNames, ['speed'], 'speed input', path);
  const outName = pick(session.outputNames, ['waveform', 'audio'], 'audio output', path);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    runtime: info,
    async run(ids, style, speed) {
      const feeds = {
        [idsName]: new ort.Tensor('int64', ids, [1, ids.length]),
        style: new ort.Tensor('float32', style, [1, style.length]),
        speed: new ort.Tensor('float32', new Float32Array([speed]), [1]),
      };
      if (!guard.enter()) throw new Error('worker is being terminated');
      let out: InferenceSession.ReturnType;
      try {
        out = await session.run(feeds);
      } finally {
        guard.leave();
      }
      const wave = out[outName];
      if (wave === undefined) throw new Error(`model returned no ${outName}`);
      return wave.data as Float32Array;
    },
    release: () => session.release(),
  };
}
