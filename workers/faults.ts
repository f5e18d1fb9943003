/**
 * Fault injection for tests, honoured only when the host runs with
 * KOKORO_FAULT_INJECTION=1. Markers in a chunk's text, stripped before speaking:
 *
 *   [[stall]] / [[stall:MS]]  a real native stall: session.run on the synthetic stall model
 *                             does not return for MS ms (default 10 minutes)
 *   [[hang]]                  a JavaScript busy loop (terminate() can interrupt it)
 *   [[crash]]                 the worker thread exits with code 1
 *   [[oom]]                   the worker exceeds its heap limit (resourceLimits)
 *   [[slow:MS]]               the chunk takes MS ms longer
 *   [[error]]                 the model is fed an out-of-vocabulary token: an inference error
 *   [[throw_after]]           the chunk succeeds, then an uncaught exception is thrown on the
 *                             worker's next macrotask (after Piscina has posted the result)
 */

export type FaultKind = 'stall' | 'hang' | 'crash' | 'oom' | 'slow' | 'error' | 'throw_after';

export interface Fault {
  kind: FaultKind;
  ms?: number;
}

const MARKER = /\[\[(stall|hang|crash|oom|slow|error|throw_after)(?::(\d{1,9}))?\]\]/g;
export const DEFAULT_STALL_MS = 600_000;

export function extractFaults(text: string): { text: string; faults: Fault[] } {
  const faults: Fault[] = [];
  const stripped = text.replace(MARKER, (_m, kind: FaultKind, ms: string | undefined) => {
    faults.push(ms === undefined ? { kind } : { kind, ms: Number(ms) });
    return ' ';
  });
  return { text: faults.length > 0 ? stripped.replace(/\s+/g, ' ').trim() : text, faults };
}

/** Block this worker's thread for `ms` without spinning. */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function busyLoopForever(): never {
  for (;;) {
    // Deliberately spin: only Worker.terminate() ends this.
  }
}

/** An uncaught exception outside any task: the thread dies after its result went out. */
export function throwAfterReturn(): void {
  setImmediate(() => {
    throw new Error('injected fault: an uncaught exception after the task returned');
  });
}

export function exhaustHeap(): never {
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array<number>(1_000_000).fill(hoard.length));
}
