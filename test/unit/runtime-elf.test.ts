/**
 * The ELF reader and the in-place patches of src/runtime/, on copies of the real
 * onnxruntime-node binding and bundled library. Checked by re-parsing with our own reader
 * (not readelf, which product code may not rely on), byte by byte against the original,
 * and with readelf as an outside witness where binutils is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { renameNeeded, renameNeededVersion, renameSoname, unshareUniqueSymbols } from '../../src/runtime/elf-patch.ts';
import { ElfError, STB, elfHash, readDynamic } from '../../src/runtime/elf.ts';
import { BINDING_DIR, BINDING_FILE, bundledPackageDir } from '../../src/runtime/paths.ts';

const BINDING = readFileSync(join(bundledPackageDir(), BINDING_FILE));
const LIBRARY = readFileSync(join(bundledPackageDir(), BINDING_DIR, 'libonnxruntime.so.1'));
const OLD = 'libonnxruntime.so.1';
const NEW = 'libonnxrt-1.32.0.so';

/** Offsets where two buffers differ. */
function changedBytes(a: Buffer, b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

t.test('readDynamic reads what the binding needs, and elfHash agrees with the linker', async (t) => {
  const info = readDynamic(BINDING);
  t.same(
    info.needed.map((n) => n.value),
    ['libonnxruntime.so.1', 'libstdc++.so.6', 'libm.so.6', 'libgcc_s.so.1', 'libc.so.6'],
  );
  t.equal(info.runpath?.value, '$ORIGIN/');
  const ort = info.versionNeeds.find((n) => n.file.value === OLD);
  t.same(ort?.versions.map((v) => v.name.value), ['VERS_1.30.0']);
  // Every hash ld wrote (vna_hash, vd_hash) equals ours for the same name.
  const hashes = [...info.versionNeeds.flatMap((n) => n.versions), ...readDynamic(LIBRARY).versionDefs.map((d) => ({ name: d.names[0]!, hash: d.hash }))];
  t.ok(hashes.length > 10);
  for (const { name, hash } of hashes) t.equal(elfHash(name.value), hash, `elfHash(${name.value})`);
});

t.test('the binding patch changes the needed version, its hash and DT_NEEDED, and nothing else', async (t) => {
  const patched = Buffer.from(BINDING);
  renameNeededVersion(patched, OLD, 'VERS_1.30.0', 'VERS_1.32.0');
  renameNeeded(patched, OLD, NEW);

  const before = readDynamic(BINDING);
  const after = readDynamic(patched);
  t.same(after.needed.map((n) => n.value), [NEW, 'libstdc++.so.6', 'libm.so.6', 'libgcc_s.so.1', 'libc.so.6']);
  const need = after.versionNeeds.find((n) => n.file.value === NEW);
  t.ok(need, 'the version needs name the new file');
  t.equal(after.versionNeeds.find((n) => n.file.value === OLD), undefined, 'and no longer the old one');
  const aux = need!.versions[0]!;
  t.equal(aux.name.value, 'VERS_1.32.0');
  t.equal(aux.hash, elfHash('VERS_1.32.0'));
  t.not(aux.hash, elfHash('VERS_1.30.0'), 'the hash really changed');
  t.equal(aux.other, before.versionNeeds.find((n) => n.file.value === OLD)!.versions[0]!.other, 'the version index symbols use is kept');
  // Everything else reads the same.
  t.same(after.versionNeeds.filter((n) => n.file.value !== NEW).map((n) => [n.file.value, n.versions.map((v) => [v.name.value, v.hash])]),
    before.versionNeeds.filter((n) => n.file.value !== OLD).map((n) => [n.file.value, n.versions.map((v) => [v.name.value, v.hash])]));
  t.equal(after.soname?.value, before.soname?.value);
  t.equal(after.runpath?.value, before.runpath?.value);

  // Byte for byte: only inside the two strings and the four hash bytes.
  const oldNeeded = before.needed[0]!;
  const oldVersion = before.versionNeeds.find((n) => n.file.value === OLD)!.versions[0]!;
  const allowed = (i: number) =>
    (i >= oldNeeded.at && i < oldNeeded.at + OLD.length) ||
    (i >= oldVersion.name.at && i < oldVersion.name.at + 11) ||
    (i >= oldVersion.entry && i < oldVersion.entry + 4);
  const changed = changedBytes(BINDING, patched);
  t.ok(changed.length > 0);
  t.same(changed.filter((i) => !allowed(i)), [], 'no byte outside the edited fields changed');
  t.equal(patched.length, BINDING.length);
});

t.test('the library patch renames the soname and the base version definition, with its hash', async (t) => {
  const patched = Buffer.from(LIBRARY);
  renameSoname(patched, OLD, NEW);
  const info = readDynamic(patched);
  t.equal(info.soname?.value, NEW);
  const base = info.versionDefs.find((d) => (d.flags & 1) !== 0)!;
  t.equal(base.names[0]!.value, NEW);
  t.equal(base.hash, elfHash(NEW));
  const vers = info.versionDefs.find((d) => d.names[0]!.value === 'VERS_1.30.0');
  t.equal(vers?.hash, elfHash('VERS_1.30.0'), 'the version symbols bind to is untouched');
  t.ok(changedBytes(LIBRARY, patched).length <= OLD.length + 4);
});

t.test('a shorter name is NUL-padded in place', async (t) => {
  const patched = Buffer.from(BINDING);
  renameNeeded(patched, OLD, 'libort.so.9');
  t.equal(readDynamic(patched).needed[0]!.value, 'libort.so.9');
});

t.test('patches that cannot be done in place are refused, and leave the file alone', async (t) => {
  const copy = Buffer.from(BINDING);
  t.throws(() => renameNeeded(copy, OLD, 'libonnxruntime-much-longer.so.1'), /longer than/);
  t.throws(() => renameNeeded(copy, 'libnothere.so.1', NEW), /no DT_NEEDED libnothere/);
  t.throws(() => renameNeededVersion(copy, OLD, 'VERS_9.99.9', 'VERS_1.32.0'), /does not need version VERS_9\.99\.9/);
  t.throws(() => renameSoname(copy, OLD, NEW), /the soname is onnxruntime_binding\.node/);
  t.throws(() => renameNeeded(copy, OLD, 'bad name'), /plain ASCII/);
  t.ok(copy.equals(BINDING), 'nothing was written');
});

t.test('a string another reference shares (a merged tail) is refused', async (t) => {
  const copy = Buffer.from(BINDING);
  const info = readDynamic(copy);
  // Point libgcc's GCC_3.0 version name into the middle of "libonnxruntime.so.1".
  const gcc = info.versionNeeds.find((n) => n.file.value === 'libgcc_s.so.1')!.versions[0]!;
  copy.writeUInt32LE(info.needed[0]!.at - info.strtab.at + 3, gcc.entry + 8);
  t.equal(readDynamic(copy).versionNeeds.find((n) => n.file.value === 'libgcc_s.so.1')!.versions[0]!.name.value, 'onnxruntime.so.1');
  t.throws(() => renameNeeded(copy, OLD, NEW), /shares bytes with "onnxruntime\.so\.1"/);
});

t.test('damaged input fails with an ElfError, never a wrong answer', async (t) => {
  t.throws(() => readDynamic(Buffer.from('not an elf file at all, not at all, not at all, not at all......')), ElfError);
  t.throws(() => readDynamic(BINDING.subarray(0, 4096)), ElfError, 'a truncated file');
  const wrongClass = Buffer.from(BINDING);
  wrongClass[4] = 1;
  t.throws(() => readDynamic(wrongClass), /64-bit little-endian/);
});

const readelf = spawnSync('readelf', ['--version'], { encoding: 'utf8' }).status === 0;
const noReadelf = readelf ? false : 'readelf (binutils) is not installed: the outside cross-check did NOT run';

t.test('readelf, where installed, sees the same patch', { skip: noReadelf }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kokoro-elf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const patched = Buffer.from(BINDING);
  renameNeededVersion(patched, OLD, 'VERS_1.30.0', 'VERS_1.32.0');
  renameNeeded(patched, OLD, NEW);
  const file = join(dir, 'binding.node');
  writeFileSync(file, patched);
  const out = spawnSync('readelf', ['-d', '-V', '-W', file], { encoding: 'utf8' }).stdout;
  t.match(out, /\(NEEDED\)\s+Shared library: \[libonnxrt-1\.32\.0\.so\]/);
  t.match(out, /File: libonnxrt-1\.32\.0\.so\s+Cnt: 1\s+0x[0-9a-f]+:\s+Name: VERS_1\.32\.0/);
  t.notMatch(out, /libonnxruntime\.so\.1|VERS_1\.30\.0/);
});

t.test('unshareUniqueSymbols turns the GNU_UNIQUE symbols of the binding into plain globals, two bytes', async (t) => {
  const patched = Buffer.from(BINDING);
  const names = unshareUniqueSymbols(patched);
  t.same(names, ['_ZZN3Ort6detail6Global3ApiEPK6OrtApiE3api', '_ZGVZN3Ort6detail6Global3ApiEPK6OrtApiE3api']);
  const after = readDynamic(patched).symbols;
  t.same(after.filter((s) => s.bind === STB.GNU_UNIQUE), [], 'none left');
  t.same(after.filter((s) => names.includes(s.name.value)).map((s) => [s.bind, s.type, s.defined]), [[STB.GLOBAL, 1, true], [STB.GLOBAL, 1, true]]);
  t.equal(changedBytes(BINDING, patched).length, 2);
  t.same(unshareUniqueSymbols(patched), [], 'idempotent');
  t.same(unshareUniqueSymbols(Buffer.from(LIBRARY)), [], 'the library has none');
});

t.test('dynamic symbols are counted through the GNU hash table as readelf counts them', async (t) => {
  // readelf --dyn-syms: 472 entries in the 1.30.0 binding, 548 in its library (the null symbol included).
  t.equal(readDynamic(BINDING).symbols.length + 1, 472);
  t.equal(readDynamic(LIBRARY).symbols.length + 1, 548);
  t.ok(readDynamic(LIBRARY).symbols.some((s) => s.defined && s.name.value === 'OrtGetApiBase'));
});
