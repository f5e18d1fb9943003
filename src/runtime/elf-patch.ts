/**
 * The in-place edits that let onnxruntime-node's binding run on a newer onnxruntime
 * library (src/runtime/prepare.ts), with no compiler and no patchelf:
 *
 * - renameNeededVersion: the binding asks for `OrtGetApiBase@VERS_1.30.0`; the newer
 *   library defines `VERS_1.32.0`. glibc refuses to load an object whose needed version
 *   its provider does not define, so the binding must ask for the new one, and the entry's
 *   vna_hash (checked by the loader beside the name) must be the new name's ELF hash.
 * - renameNeeded / renameSoname: the binding's DT_NEEDED and the library's DT_SONAME
 *   (plus the version tables that repeat them) get a name of their own, so the loader can
 *   never satisfy the binding with the bundled library that kokoro-js has already loaded.
 * - unshareUniqueSymbols: the binding's only STB_GNU_UNIQUE symbols are the static that
 *   caches the OrtApi function table (Ort::detail::Global::Api()::api) and its guard.
 *   glibc binds a GNU_UNIQUE name to ONE definition per process, even across RTLD_LOCAL
 *   objects, so both bindings would share that pointer and whichever initialised last would
 *   send both into its library. Measured before this edit: sessions of one runtime created
 *   and freed through the other's API table ran at the other's speed, failed with
 *   "Attempt to use DefaultLogger but none has been registered", or crashed the process
 *   (SIGSEGV) after a worker thread that loaded the other binding exited
 *   (test/unit/runtime-coexist.test.ts). As STB_GLOBAL, each binding's reference resolves
 *   in its own local scope to its own copy.
 *
 * Strings are overwritten in .dynstr, never moved: the new name may not be longer, and a
 * string that any other reference shares (linkers merge string tails) is refused.
 */
import { ElfError, STB, VER_FLG_BASE, elfHash, readDynamic, type DynamicInfo, type StrRef } from './elf.ts';

/** Every .dynstr reference made by the dynamic section, the version tables and the dynamic symbols. */
function allRefs(info: DynamicInfo): StrRef[] {
  const refs: Array<StrRef | undefined> = [
    ...info.needed,
    info.soname,
    info.runpath,
    ...info.versionNeeds.flatMap((n) => [n.file, ...n.versions.map((v) => v.name)]),
    ...info.versionDefs.flatMap((d) => d.names),
    ...info.symbols.map((s) => s.name),
  ];
  return refs.filter((r): r is StrRef => r !== undefined);
}

/** Writes `to` over each target string (NUL-padded when shorter). */
function overwrite(buf: Buffer, info: DynamicInfo, targets: StrRef[], to: string): void {
  if (!/^[\x21-\x7e]+$/.test(to)) throw new ElfError(`"${to}" is not a plain ASCII name`);
  const others = allRefs(info).filter((ref) => !targets.includes(ref));
  for (const target of new Map(targets.map((t) => [t.at, t])).values()) {
    if (to.length > target.value.length) throw new ElfError(`"${to}" is longer than "${target.value}": it cannot be written in place`);
    const end = target.at + target.value.length + 1;
    const shared = others.find((ref) => ref.at < end && ref.at + ref.value.length + 1 > target.at);
    if (shared !== undefined) throw new ElfError(`"${target.value}" shares bytes with "${shared.value}": refusing to change both`);
    buf.fill(0, target.at, end - 1);
    buf.write(to, target.at, 'latin1');
  }
}

/** DT_NEEDED `from` -> `to`, with the version-needs entry for that file. */
export function renameNeeded(buf: Buffer, from: string, to: string): void {
  const info = readDynamic(buf);
  const needed = info.needed.filter((n) => n.value === from);
  if (needed.length === 0) throw new ElfError(`no DT_NEEDED ${from} (needed: ${info.needed.map((n) => n.value).join(', ')})`);
  const files = info.versionNeeds.filter((n) => n.file.value === from).map((n) => n.file);
  overwrite(buf, info, [...needed, ...files], to);
}

/** DT_SONAME `from` -> `to`, with the base version definition that names the object (and its hash). */
export function renameSoname(buf: Buffer, from: string, to: string): void {
  const info = readDynamic(buf);
  if (info.soname?.value !== from) throw new ElfError(`the soname is ${info.soname?.value ?? 'unset'}, not ${from}`);
  const bases = info.versionDefs.filter((d) => (d.flags & VER_FLG_BASE) !== 0 && d.names[0]?.value === from);
  overwrite(buf, info, [info.soname, ...bases.map((d) => d.names[0]!)], to);
  for (const def of bases) buf.writeUInt32LE(elfHash(to), def.entry + 8);
}

/** Defined STB_GNU_UNIQUE symbols -> STB_GLOBAL (st_info's high nibble); returns their names. */
export function unshareUniqueSymbols(buf: Buffer): string[] {
  const unique = readDynamic(buf).symbols.filter((s) => s.defined && s.bind === STB.GNU_UNIQUE);
  for (const s of unique) buf[s.entry + 4] = (STB.GLOBAL << 4) | s.type;
  return unique.map((s) => s.name.value);
}

/** The version `from` that the object needs from `file` -> `to`, with its vna_hash. */
export function renameNeededVersion(buf: Buffer, file: string, from: string, to: string): void {
  const info = readDynamic(buf);
  const need = info.versionNeeds.find((n) => n.file.value === file);
  const aux = need?.versions.find((v) => v.name.value === from);
  if (need === undefined || aux === undefined) {
    const has = need?.versions.map((v) => v.name.value).join(', ') ?? 'nothing';
    throw new ElfError(`the object does not need version ${from} of ${file} (it needs ${has})`);
  }
  overwrite(buf, info, [aux.name], to);
  buf.writeUInt32LE(elfHash(to), aux.entry);
}
