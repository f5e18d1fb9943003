/**
 * The worker the pool runs instead of workers/synth.worker.ts when the host is started with
 * KOKORO_FAULT_INJECTION=1 (src/synth/piscina-setup.ts picks the file): the real worker,
 * wrapped so that the fault markers of workers/faults.ts in a chunk's text act out real
 * faults. The production worker file holds no fault code and pays nothing for this.
 *
 * Order of a task, as in production: 'started' is posted first (the run deadline is armed
 * from there), then the faults act, then the real task runs on the stripped text.
 */
import { workerData } from 'node:worker_threads';
import type { SynthRequest, SynthResult, WorkerInit } from '../src/shared/protocol.ts';
import { DEFAULT_STALL_MS, blockFor, busyLoopForever, exhaustHeap, extractFaults, throwAfterReturn, type Fault } from './faults.ts';
import { openSession, type KokoroSession, type NativeGuard } from './kokoro/session.ts';

/** The stall model's Loop runs about this many units per millisecond (models/README.md). */
const STALL_UNITS_PER_MS = 1;

const init = workerData as WorkerInit;

/**
 * The real worker's native-code guard, once its module is loaded (a stall run is native code:
 * the pool must abandon it, never terminate it).
 */
let realGuard: NativeGuard | undefined;
const lateGuard: NativeGuard = { enter: () => realGuard?.enter() ?? true, leave: () => realGuard?.leave() };

/**
 * The synthetic stall model is opened before the real worker module is imported: that module
 * posts 'loaded', and from then on the pool may terminate this thread, which must not happen
 * while onnxruntime is still creating a session (the process aborts). A load failure only
 * disables [[stall]].
 */
const stallSession: KokoroSession | undefined =
  init.stallModelPath === undefined
    ? undefined
    : await openSession(init.stallModelPath, { intraOpThreads: 1, enableCpuMemArena: false, runtime: init.ort }, lateGuard).catch(() => undefined);

const { announceStarted, fail, guard, loadedSession, runTask } = await import('./synth.worker.ts');
realGuard = guard;

/** Acts out one fault; a result ends the task early, undefined lets it go on. */
async function act(fault: Fault): Promise<SynthResult | undefined> {
  switch (fault.kind) {
    case 'hang':
      return busyLoopForever();
    case 'crash':
      return process.exit(1);
    case 'oom':
      return exhaustHeap();
    case 'slow':
      blockFor(fault.ms ?? 1000);
      return undefined;
    case 'stall': {
      if (stallSession === undefined) return fail('inference_error', 'stall model not loaded (run npm run model:synthetic)');
      const units = Math.max(1, Math.round((fault.ms ?? DEFAULT_STALL_MS) * STALL_UNITS_PER_MS));
      await stallSession.run(new BigInt64Array([BigInt(units), 50n, 0n]), new Float32Array(256), 1);
      return undefined;
    }
    case 'error': {
      // An out-of-vocabulary token fed to the real model: a genuine inference error.
      const session = loadedSession();
      if (session === undefined) return undefined;
      try {
        await session.run(new BigInt64Array([0n, 999_999n, 0n]), new Float32Array(256), 1);
      } catch (err) {
        return fail('inference_error', err instanceof Error ? err.message : String(err));
      }
      return undefined;
    }
    case 'throw_after':
      return undefined;
  }
}

export default async function synthesizeWithFaults(req: SynthRequest): Promise<SynthResult> {
  announceStarted(req.taskId);
  // An unloaded worker answers not_loaded before any fault acts, as it always did.
  if (req.text === undefined || loadedSession() === undefined) return runTask(req);
  const found = extractFaults(req.text);
  for (const fault of found.faults) {
    const early = await act(fault);
    if (early !== undefined) return early;
  }
  const result = await runTask({ ...req, text: found.text });
  // A success comes back wrapped for transfer (Piscina.move): only a failure reads ok === false.
  if (result.ok !== false && found.faults.some((f) => f.kind === 'throw_after')) throwAfterReturn();
  return result;
}
