/**
 * A lock-free handshake that lets the main thread know whether a worker is inside
 * onnxruntime's native session.run, shared through one SharedArrayBuffer.
 *
 * Why: terminating a worker thread while it is inside session.run does not stop the
 * native call, and when that call returns into the terminated thread onnxruntime-node
 * throws a C++ Napi::Error that nothing catches: the whole process aborts (SIGABRT).
 * Measured on every onnxruntime-node release from 1.22.0 to 1.30.0 on Node 20
 * (test/integration/ort-terminate-native.test.ts keeps the evidence). So the pool terminates a
 * worker only when it wins the race below, and abandons it otherwise.
 *
 *   slot state:  FREE --claim--> IDLE <--enter/leave--> NATIVE
 *                                 |
 *                     main: CAS IDLE -> TERMINATING (then terminate() is safe:
 *                     the worker can no longer enter native code)
 */

export const SLOT_COUNT = 256;
export const SLOT_FREE = 0;
export const SLOT_IDLE = 1;
export const SLOT_NATIVE = 2;
export const SLOT_TERMINATING = 3;

export function createSlots(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT);
}

/** Worker: take a free slot for this thread's lifetime; -1 if none is free. */
export function claimSlot(slots: Int32Array): number {
  for (let i = 0; i < slots.length; i++) {
    if (Atomics.compareExchange(slots, i, SLOT_FREE, SLOT_IDLE) === SLOT_FREE) return i;
  }
  return -1;
}

/** Worker: false when the main thread is terminating us; then native code must not be entered. */
export function enterNative(slots: Int32Array, slot: number): boolean {
  if (slot < 0) return true;
  return Atomics.compareExchange(slots, slot, SLOT_IDLE, SLOT_NATIVE) === SLOT_IDLE;
}

export function leaveNative(slots: Int32Array, slot: number): void {
  if (slot >= 0) Atomics.compareExchange(slots, slot, SLOT_NATIVE, SLOT_IDLE);
}

/** Main: true when the worker is in JavaScript and may now be terminated safely. */
export function claimForTermination(slots: Int32Array, slot: number): boolean {
  if (slot < 0) return false;
  return Atomics.compareExchange(slots, slot, SLOT_IDLE, SLOT_TERMINATING) === SLOT_IDLE;
}

/** Main: the thread has exited; its slot can be reused. */
export function releaseSlot(slots: Int32Array, slot: number): void {
  if (slot >= 0) Atomics.store(slots, slot, SLOT_FREE);
}
