/**
 * Just enough of a zip reader to take one file out of a Python wheel: the end-of-central-
 * directory record, the central directory, and one entry's local header and data (stored
 * or deflated, CRC-checked). Reads by position, so only that entry's bytes are loaded.
 * Zip64 and encryption are refused with a message (no wheel of ours needs them); a
 * dependency for this would be more code to audit than the reader itself.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new ZipError(`the file ends before byte ${position + length}`);
    done += n;
  }
  return buf;
}

/** The EOCD record sits in the last 22 + comment bytes: search backwards for its signature. */
function findEocd(fd: number, fileSize: number): Buffer {
  const span = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tail = readAt(fd, fileSize - span, span);
  for (let at = span - EOCD_SIZE; at >= 0; at--) {
    if (tail.readUInt32LE(at) === EOCD_SIG) return tail.subarray(at, at + EOCD_SIZE);
  }
  throw new ZipError('not a zip file (no end-of-central-directory record)');
}

function centralDirectory(fd: number): ZipEntry[] {
  const fileSize = fstatSync(fd).size;
  const eocd = findEocd(fd, fileSize);
  const count = eocd.readUInt16LE(10);
  const size = eocd.readUInt32LE(12);
  const offset = eocd.readUInt32LE(16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) throw new ZipError('zip64 archives are not supported');
  if (offset + size > fileSize) throw new ZipError('the central directory lies outside the file');
  const dir = readAt(fd, offset, size);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > dir.length || dir.readUInt32LE(at) !== CENTRAL_SIG) throw new ZipError(`central directory entry ${i} is damaged`);
    const nameLength = dir.readUInt16LE(at + 28);
    const extraLength = dir.readUInt16LE(at + 30);
    const commentLength = dir.readUInt16LE(at + 32);
    entries.push({
      flags: dir.readUInt16LE(at + 8),
      method: dir.readUInt16LE(at + 10),
      crc32: dir.readUInt32LE(at + 16),
      compressedSize: dir.readUInt32LE(at + 20),
      size: dir.readUInt32LE(at + 24),
      localHeaderOffset: dir.readUInt32LE(at + 42),
      name: dir.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Every entry of the archive at `path`, from its central directory. */
export function listZip(path: string): ZipEntry[] {
  const fd = openSync(path, 'r');
  try {
    return centralDirectory(fd);
  } finally {
    closeSync(fd);
  }
}

/** The uncompressed bytes of entry `name`, CRC-checked. */
export function readZipEntry(path: string, name: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const entry = centralDirectory(fd).find((e) => e.name === name);
    if (entry === undefined) throw new ZipError(`${path} has no ${name}`);
    if ((entry.flags & 1) !== 0) throw new ZipError(`${name} is encrypted`);
    const local = readAt(fd, entry.localHeaderOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL_SIG) throw new ZipError(`the local header of ${name} is damaged`);
    // The local header's name and extra field may differ in length from the central ones.
    const dataAt = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const raw = readAt(fd, dataAt, entry.compressedSize);
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) data = inflate(raw, name);
    else throw new ZipError(`${name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
    if (data.length !== entry.size) throw new ZipError(`${name} inflated to ${data.length} bytes, expected ${entry.size}`);
    if (crc32(data) !== entry.crc32) throw new ZipError(`${name} fails its CRC-32 check`);
    return data;
  } finally {
    closeSync(fd);
  }
}

function inflate(raw: Buffer, name: string): Buffer {
  try {
    return inflateRawSync(raw);
  } catch (err) {
    throw new ZipError(`${name} does not inflate (${err instanceof Error ? err.message : String(err)})`);
  }
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3), as zip stores it. zlib.crc32 would do, but only from Node 20.15. */
export function crc32(data: Uint8Array): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
