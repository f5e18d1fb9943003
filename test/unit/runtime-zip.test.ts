/**
 * The wheel reader (src/runtime/zip.ts) on zips built here, byte by byte, with
 * node:zlib: stored and deflated entries, a comment after the central directory, local
 * extra fields that differ from the central ones, and the damage it must refuse.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import t from 'tap';
import { ZipError, crc32, listZip, readZipEntry } from '../../src/runtime/zip.ts';

interface Spec {
  name: string;
  data: Buffer;
  method: 0 | 8 | 12;
  localExtra?: Buffer;
}

/** A plain zip: local headers + data, central directory, end record (+ comment). */
function buildZip(specs: Spec[], comment = ''): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const s of specs) {
    const body = s.method === 8 ? zlib.deflateRawSync(s.data) : s.data;
    const name = Buffer.from(s.name);
    const extra = s.localExtra ?? Buffer.alloc(0);
    const crc = crc32(s.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(s.method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(s.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    locals.push(local, name, extra, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(s.method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(s.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + extra.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(specs.length, 8);
  end.writeUInt16LE(specs.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(Buffer.byteLength(comment), 20);
  return Buffer.concat([...locals, dir, end, Buffer.from(comment)]);
}

const dir = mkdtempSync(join(tmpdir(), 'kokoro-zip-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const write = (bytes: Buffer) => {
  const path = join(dir, `${n++}.zip`);
  writeFileSync(path, bytes);
  return path;
};

const text = Buffer.from('hello from a stored entry\n');
// Compressible but not trivial: half random, half repeated.
const library = Buffer.concat([randomBytes(150_000), Buffer.alloc(150_000, 7)]);
const specs: Spec[] = [
  { name: 'onnxruntime/__init__.py', data: text, method: 0 },
  { name: 'onnxruntime/capi/libonnxruntime.so.1.32.0', data: library, method: 8, localExtra: Buffer.from([0xfe, 0xca, 4, 0, 1, 2, 3, 4]) },
  { name: 'onnxruntime-1.32.0.dist-info/RECORD', data: Buffer.alloc(0), method: 8 },
];

const zlibCrc = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;

t.test('crc32 agrees with zlib', { skip: zlibCrc === undefined ? 'this Node has no zlib.crc32 to compare with' : false }, async (t) => {
  for (const data of [Buffer.alloc(0), text, library]) t.equal(crc32(data), zlibCrc!(data));
});

t.test('lists the central directory and reads stored and deflated entries', async (t) => {
  const path = write(buildZip(specs, 'a comment after the central directory'));
  const entries = listZip(path);
  t.same(entries.map((e) => [e.name, e.method, e.size]), specs.map((s) => [s.name, s.method, s.data.length]));
  t.ok(readZipEntry(path, specs[0]!.name).equals(text), 'stored');
  t.ok(readZipEntry(path, specs[1]!.name).equals(library), 'deflated, past a local extra field the central directory lacks');
  t.equal(readZipEntry(path, specs[2]!.name).length, 0, 'empty');
});

t.test('refuses what it cannot read correctly', async (t) => {
  const good = buildZip(specs);
  t.throws(() => readZipEntry(write(good), 'nothere'), /has no nothere/);
  t.throws(() => listZip(write(Buffer.from('PK but not really a zip file, nowhere near it'))), /not a zip file/);

  // A flipped byte in the deflated data: inflate or the CRC must catch it.
  const damaged = Buffer.from(good);
  const inDeflated = 30 + specs[0]!.name.length + text.length + 30 + specs[1]!.name.length + 8 + 1000;
  damaged[inDeflated] = damaged[inDeflated]! ^ 0xff;
  t.throws(() => readZipEntry(write(damaged), specs[1]!.name), ZipError, 'damaged deflated data');

  const stored = buildZip([{ name: 'x', data: text, method: 0 }]);
  stored[30 + 1 + 3] = stored[30 + 1 + 3]! ^ 0x01;
  t.throws(() => readZipEntry(write(stored), 'x'), /CRC-32/);

  t.throws(() => readZipEntry(write(buildZip([{ name: 'b', data: text, method: 12 }])), 'b'), /compression method 12/);

  const zip64 = buildZip(specs);
  zip64.writeUInt32LE(0xffffffff, zip64.length - 22 + 16);
  t.throws(() => listZip(write(zip64)), /zip64/);

  const encrypted = buildZip([{ name: 'e', data: text, method: 0 }]);
  encrypted.writeUInt16LE(1, 30 + 1 + text.length + 8);
  t.throws(() => readZipEntry(write(encrypted), 'e'), /encrypted/);

  t.throws(() => listZip(write(good.subarray(0, good.length - 30))), ZipError, 'a truncated file');
});
