/**
 * One raw-bench worker: a plain worker_thread with its own onnxruntime-node session
 * (the host's session options), running pre-tokenized inputs back to back. No Piscina,
 * no gateway, no phonemizer: the ceiling the host is compared with.
 *
 *   workerData { modelPath, threads, inputs: BigInt64Array[], offset }
 *   -> { type: 'ready', loadMs }      after loading and one warm-up run
 *   <- { type: 'go', durationMs, maxRuns }
 *   -> { type: 'done', runs, samples, busyMs }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSession } from '../workers/kokoro/session.ts';

export interface RawWorkerData {
  modelPath: string;
  threads: number;
  inputs: BigInt64Array[];
  /** Where in `inputs` this worker starts, so workers do not run the same input in lockstep. */
  offset: number;
}

export type RawWorkerMessage =
  | { type: 'ready'; loadMs: number }
  | { type: 'done'; runs: number; samples: number; busyMs: number }
  | { type: 'failed'; message: string };

export interface RawGo {
  type: 'go';
  durationMs: number;
  maxRuns: number;
}

const data = workerData as RawWorkerData;
const port = parentPort!;
const post = (m: RawWorkerMessage) => port.postMessage(m);
// Any style vector serves throughput: the model's cost does not depend on its values.
const style = new Float32Array(256).fill(0.01);

try {
  const t0 = performance.now();
  const session = await openSession(data.modelPath, { intraOpThreads: data.threads, enableCpuMemArena: false });
  await session.run(data.inputs[data.offset % data.inputs.length]!, style, 1);
  post({ type: 'ready', loadMs: performance.now() - t0 });
  port.once('message', (go: RawGo) => {
    void (async () => {
      const start = performance.now();
      let runs = 0;
      let samples = 0;
      while (runs < go.maxRuns && performance.now() - start < go.durationMs) {
        const { audio: pcm } = await session.run(data.inputs[(data.offset + runs) % data.inputs.length]!, style, 1);
        samples += pcm.length;
        runs++;
      }
      post({ type: 'done', runs, samples, busyMs: performance.now() - start });
      await session.release();
    })().catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
  });
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}
