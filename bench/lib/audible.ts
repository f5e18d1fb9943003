/**
 * "Audible" for the bench's latency figures: a sample at or above -40 dBFS. First audio that
 * is only Kokoro's silence padding is not what a listener hears first.
 */
export const AUDIBLE_DBFS = -40;
const AUDIBLE_S16 = Math.ceil(32768 * 10 ** (AUDIBLE_DBFS / 20));

/** Whether any whole s16le sample of `data`, from byte `offset` on, is audible. */
export function hasAudibleS16(data: Buffer, offset = 0): boolean {
  for (let i = offset; i + 1 < data.byteLength; i += 2) if (Math.abs(data.readInt16LE(i)) >= AUDIBLE_S16) return true;
  return false;
}
