/**
 * The worker's own onnxruntime-node session: explicit options, both published Kokoro
 * export variants (input `input_ids` or `tokens`, output `waveform` or `audio`).
 *
 * Durations: when asked to (`durationsCacheDir`), the session loads a model that outputs
 * per-token durations (durations-model.ts) and reports whether it could in `timing`; a model
 * it could not obtain durations from still synthesizes, untimed.
 *
 * onnxruntime itself comes from src/runtime/resolve.ts: the newer runtime prepared by
 * `npm run runtime:fetch` when there is one (KOKORO_ORT=auto), else onnxruntime-node's
 * bundled one. The session says which in `runtime`, and the worker reports it.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { loadRuntime, type RuntimeOptions } from '../../src/runtime/resolve.ts';
import type { RuntimeInfo } from '../../src/runtime/types.ts';
import type { WordTimingSupport } from '../../src/shared/protocol.ts';
import { durationsModel } from './durations-model.ts';

export interface SessionSettings {
  intraOpThreads: number;
  enableCpuMemArena: boolean;
  /** Which onnxruntime; default auto. */
  runtime?: RuntimeOptions | undefined;
  /** Obtain per-token durations; a prepared model is cached here when the model's own directory is read-only. */
  durationsCacheDir?: string | undefined;
}

/** Whether this session gives durations: the output it reads them from, or why not. */
export type SessionTiming = WordTimingSupport;

export interface ModelOutput {
  audio: Float32Array;
  /** Frames per input token, pads included ([T+2]); undefined when the session cannot time. */
  durations: number[] | undefined;
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
  readonly timing: SessionTiming;
  /** Synchronous native work happens inside; resolves with the waveform (and durations when timed). */
  run(ids: BigInt64Array, style: Float32Array, speed: number): Promise<ModelOutput>;
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

const NOT_ASKED: SessionTiming = { ok: false, reason: 'not_requested', message: 'durations not requested' };

export async function openSession(path: string, settings: SessionSettings, guard: NativeGuard = UNGUARDED): Promise<KokoroSession> {
  const { ort, info } = await loadRuntime(settings.runtime);
  const options = sessionOptions(settings);
  let timing: SessionTiming = NOT_ASKED;
  let session: InferenceSession | undefined;
  if (settings.durationsCacheDir !== undefined) {
    const source = durationsModel(path, settings.durationsCacheDir);
    timing = source.ok ? { ok: true, output: source.output, prepared: source.prepared } : source;
    if (source.ok) {
      try {
        session = await ort.InferenceSession.create(source.path, options);
        if (!session.outputNames.includes(source.output)) throw new Error(`no output ${source.output}`);
      } catch (err) {
        await session?.release();
        session = undefined;
        timing = { ok: false, reason: 'prepared_model_failed', message: `${source.path}: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
  }
  session ??= await ort.InferenceSession.create(path, options);
  const idsName = pick(session.inputNames, ['input_ids', 'tokens'], 'token input', path);
  pick(session.inputNames, ['style'], 'style input', path);
  pick(session.inputNames, ['speed'], 'speed input', path);
  const outName = pick(session.outputNames, ['waveform', 'audio'], 'audio output', path);
  const durName = timing.ok ? timing.output : undefined;
  const live = session;
  return {
    inputNames: live.inputNames,
    outputNames: live.outputNames,
    runtime: info,
    timing,
    async run(ids, style, speed) {
      const feeds = {
        [idsName]: new ort.Tensor('int64', ids, [1, ids.length]),
        style: new ort.Tensor('float32', style, [1, style.length]),
        speed: new ort.Tensor('float32', new Float32Array([speed]), [1]),
      };
      if (!guard.enter()) throw new Error('worker is being terminated');
      let out: InferenceSession.ReturnType;
      try {
        out = await live.run(feeds);
      } finally {
        guard.leave();
      }
      const wave = out[outName];
      if (wave === undefined) throw new Error(`model returned no ${outName}`);
      const dur = durName === undefined ? undefined : out[durName];
      // int64 on the genuine model, float on some exports: whole frames either way.
      const durations = dur === undefined ? undefined : Array.from(dur.data as ArrayLike<number | bigint>, (v) => Math.round(Number(v)));
      return { audio: wave.data as Float32Array, durations };
    },
    release: () => live.release(),
  };
}
