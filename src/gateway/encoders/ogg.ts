/**
 * A minimal Ogg page writer (RFC 3533) for one logical stream: packets in, pages out.
 *
 *   page = "OggS" | version 0 | flags | granule (i64) | serial | sequence | CRC | nsegs | lacing[] | data
 *
 * A packet is laced as 255-byte segments plus a final shorter one (0 when the length is a
 * multiple of 255). A page holds at most 255 segments, so a long run of packets spans
 * several pages; a packet never does here (Opus packets are far smaller than 64 KiB).
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0, no final xor. */
export function oggCrc(data: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ data[i]!) & 0xff]!) >>> 0;
  return crc;
}

export const FLAG_CONTINUED = 0x01;
export const FLAG_BOS = 0x02;
export const FLAG_EOS = 0x04;
const MAX_SEGMENTS = 255;

function lacing(length: number): number[] {
  const values = new Array<number>(Math.floor(length / 255)).fill(255);
  values.push(length % 255);
  return values;
}

export class OggWriter {
  readonly #serial: number;
  #sequence = 0;

  constructor(serial: number) {
    this.#serial = serial >>> 0;
  }

  /** One page holding exactly these packets (the caller keeps them within 255 segments). */
  page(packets: readonly Uint8Array[], granule: bigint, flags: number): Buffer {
    const segments = packets.flatMap((p) => lacing(p.length));
    if (segments.length > MAX_SEGMENTS) throw new RangeError(`an Ogg page holds at most ${MAX_SEGMENTS} segments`);
    const dataLength = packets.reduce((n, p) => n + p.length, 0);
    const page = Buffer.alloc(27 + segments.length + dataLength);
    page.write('OggS', 0, 'ascii');
    page.writeUInt8(0, 4);
    page.writeUInt8(flags, 5);
    page.writeBigInt64LE(granule, 6);
    page.writeUInt32LE(this.#serial, 14);
    page.writeUInt32LE(this.#sequence++, 18);
    page.writeUInt8(segments.length, 26);
    Buffer.from(segments).copy(page, 27);
    let at = 27 + segments.length;
    for (const p of packets) {
      page.set(p, at);
      at += p.length;
    }
    page.writeUInt32LE(oggCrc(page), 22);
    return page;
  }

  /**
   * Packets split into as few pages as the segment limit allows. `granuleAfter(i)` is
   * the granule position once packet i is complete; a page carries that of its last packet.
   */
  pages(packets: readonly Uint8Array[], granuleAfter: (i: number) => bigint, lastFlags = 0): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    while (start < packets.length) {
      let end = start;
      let segments = 0;
      while (end < packets.length && segments + lacing(packets[end]!.length).length <= MAX_SEGMENTS) {
        segments += lacing(packets[end]!.length).length;
        end++;
      }
      const flags = end === packets.length ? lastFlags : 0;
      out.push(this.page(packets.slice(start, end), granuleAfter(end - 1), flags));
      start = end;
    }
    return out;
  }
}
