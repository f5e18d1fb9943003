/**
 * A read-only view of what the dynamic loader reads from a shared object: the dynamic
 * section's needed libraries, soname and run path, the symbol-version tables
 * (.gnu.version_r, .gnu.version_d) and the dynamic symbols. Only x86-64 ELF64 little-endian objects: that is the
 * only platform whose runtime is swapped (src/runtime/resolve.ts).
 *
 * Everything is found the way ld.so finds it, through PT_DYNAMIC and the PT_LOAD
 * address map, never through section headers (which a stripped object may lack).
 */

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
export const DT = {
  NULL: 0,
  NEEDED: 1,
  HASH: 4,
  STRTAB: 5,
  SYMTAB: 6,
  STRSZ: 10,
  SONAME: 14,
  RPATH: 15,
  RUNPATH: 29,
  VERDEF: 0x6ffffffc,
  VERDEFNUM: 0x6ffffffd,
  VERNEED: 0x6ffffffe,
  VERNEEDNUM: 0x6fffffff,
  GNU_HASH: 0x6ffffef5,
} as const;
/** Symbol bindings (the high nibble of st_info). */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2, GNU_UNIQUE: 10 } as const;
/** Flag of the version definition that names the object itself (its soname). */
export const VER_FLG_BASE = 1;

export class ElfError extends Error {
  override name = 'ElfError';
}

/** A string in .dynstr: its file offset, and the value there. */
export interface StrRef {
  at: number;
  value: string;
}

export interface VersionNeedAux {
  /** File offset of this Elf64_Vernaux entry. */
  entry: number;
  name: StrRef;
  hash: number;
  /** The version index symbols use to refer to it (.gnu.version). */
  other: number;
}

export interface VersionNeed {
  entry: number;
  file: StrRef;
  versions: VersionNeedAux[];
}

export interface VersionDef {
  entry: number;
  flags: number;
  index: number;
  hash: number;
  /** First the version's own name, then its parents'. */
  names: StrRef[];
}

export interface DynamicSymbol {
  /** File offset of this Elf64_Sym entry (24 bytes; st_info at +4). */
  entry: number;
  name: StrRef;
  bind: number;
  type: number;
  /** False for an undefined (imported) symbol. */
  defined: boolean;
}

export interface DynamicInfo {
  needed: StrRef[];
  soname: StrRef | undefined;
  runpath: StrRef | undefined;
  versionNeeds: VersionNeed[];
  versionDefs: VersionDef[];
  symbols: DynamicSymbol[];
  /** .dynstr's file range. */
  strtab: { at: number; size: number };
}

interface Segment {
  type: number;
  vaddr: number;
  offset: number;
  filesz: number;
}

/** Bounds-checked little-endian reads: a truncated or hostile file fails with a clear message. */
class Reader {
  constructor(readonly buf: Buffer) {}

  #check(at: number, size: number): void {
    if (!Number.isSafeInteger(at) || at < 0 || at + size > this.buf.length) {
      throw new ElfError(`read of ${size} bytes at ${at} is outside the file (${this.buf.length} bytes)`);
    }
  }

  u16(at: number): number {
    this.#check(at, 2);
    return this.buf.readUInt16LE(at);
  }

  u32(at: number): number {
    this.#check(at, 4);
    return this.buf.readUInt32LE(at);
  }

  u64(at: number): number {
    this.#check(at, 8);
    const v = this.buf.readBigUInt64LE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`value at ${at} is too large`);
    return Number(v);
  }

  cstring(at: number, limit: number): string {
    this.#check(at, 1);
    const end = this.buf.indexOf(0, at);
    if (end < 0 || end >= limit) throw new ElfError(`unterminated string at ${at}`);
    return this.buf.toString('latin1', at, end);
  }
}

function header(r: Reader): Segment[] {
  const b = r.buf;
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) throw new ElfError('not an ELF file');
  if (b[4] !== 2 || b[5] !== 1) throw new ElfError('not a 64-bit little-endian ELF file');
  if (r.u16(18) !== 62) throw new ElfError(`not an x86-64 object (e_machine ${r.u16(18)})`);
  const phoff = r.u64(32);
  const phentsize = r.u16(54);
  const phnum = r.u16(56);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    segments.push({ type: r.u32(at), offset: r.u64(at + 8), vaddr: r.u64(at + 16), filesz: r.u64(at + 32) });
  }
  return segments;
}

/** File offset of a virtual address, through the PT_LOAD segment that maps it. */
function fileOffset(loads: Segment[], vaddr: number): number {
  const seg = loads.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
  if (seg === undefined) throw new ElfError(`address 0x${vaddr.toString(16)} is in no loaded segment`);
  return vaddr - seg.vaddr + seg.offset;
}

function dynamicEntries(r: Reader, segments: Segment[]): Array<[number, number]> {
  const dyn = segments.find((s) => s.type === PT_DYNAMIC);
  if (dyn === undefined) throw new ElfError('no PT_DYNAMIC segment: not a shared object');
  const entries: Array<[number, number]> = [];
  for (let at = dyn.offset; at + 16 <= dyn.offset + dyn.filesz; at += 16) {
    const tag = r.u64(at);
    if (tag === DT.NULL) break;
    entries.push([tag, r.u64(at + 8)]);
  }
  return entries;
}

export function readDynamic(buf: Buffer): DynamicInfo {
  const r = new Reader(buf);
  const segments = header(r);
  const loads = segments.filter((s) => s.type === PT_LOAD);
  const entries = dynamicEntries(r, segments);
  const one = (tag: number) => entries.find(([t]) => t === tag)?.[1];

  const strAddr = one(DT.STRTAB);
  const strSize = one(DT.STRSZ);
  if (strAddr === undefined || strSize === undefined) throw new ElfError('no dynamic string table');
  const strtab = { at: fileOffset(loads, strAddr), size: strSize };
  const str = (offset: number): StrRef => {
    if (offset >= strtab.size) throw new ElfError(`string offset ${offset} is outside .dynstr`);
    const at = strtab.at + offset;
    return { at, value: r.cstring(at, strtab.at + strtab.size) };
  };

  const soname = one(DT.SONAME);
  const runpath = one(DT.RUNPATH) ?? one(DT.RPATH);
  return {
    needed: entries.filter(([t]) => t === DT.NEEDED).map(([, v]) => str(v)),
    soname: soname === undefined ? undefined : str(soname),
    runpath: runpath === undefined ? undefined : str(runpath),
    versionNeeds: readVersionNeeds(r, loads, one(DT.VERNEED), one(DT.VERNEEDNUM) ?? 0, str),
    versionDefs: readVersionDefs(r, loads, one(DT.VERDEF), one(DT.VERDEFNUM) ?? 0, str),
    symbols: readSymbols(r, loads, one(DT.SYMTAB), symbolCount(r, loads, one(DT.GNU_HASH), one(DT.HASH)), str),
    strtab,
  };
}

/** Elf64_Verneed (16 bytes) chains, each with its Elf64_Vernaux (16 bytes) chain. */
function readVersionNeeds(r: Reader, loads: Segment[], addr: number | undefined, count: number, str: (o: number) => StrRef): VersionNeed[] {
  if (addr === undefined) return [];
  const needs: VersionNeed[] = [];
  let at = fileOffset(loads, addr);
  for (let i = 0; i < count; i++) {
    const versions: VersionNeedAux[] = [];
    let aux = at + r.u32(at + 8);
    for (let j = 0; j < r.u16(at + 2); j++) {
      versions.push({ entry: aux, hash: r.u32(aux), other: r.u16(aux + 6), name: str(r.u32(aux + 8)) });
      aux += r.u32(aux + 12);
    }
    needs.push({ entry: at, file: str(r.u32(at + 4)), versions });
    const next = r.u32(at + 12);
    if (next === 0) break;
    at += next;
  }
  return needs;
}

/** Elf64_Verdef (20 bytes) chains, each with its Elf64_Verdaux (8 bytes) names. */
function readVersionDefs(r: Reader, loads: Segment[], addr: number | undefined, count: number, str: (o: number) => StrRef): VersionDef[] {
  if (addr === undefined) return [];
  const defs: VersionDef[] = [];
  let at = fileOffset(loads, addr);
  for (let i = 0; i < count; i++) {
    const names: StrRef[] = [];
    let aux = at + r.u32(at + 12);
    for (let j = 0; j < r.u16(at + 6); j++) {
      names.push(str(r.u32(aux)));
      aux += r.u32(aux + 4);
    }
    defs.push({ entry: at, flags: r.u16(at + 2), index: r.u16(at + 4), hash: r.u32(at + 8), names });
    const next = r.u32(at + 16);
    if (next === 0) break;
    at += next;
  }
  return defs;
}

/**
 * How many dynamic symbols there are. The dynamic section does not say; the hash table
 * does. DT_HASH: its nchain. DT_GNU_HASH: past the highest bucket, follow that chain to
 * the entry whose low bit marks the end (as ld.so and readelf do).
 */
function symbolCount(r: Reader, loads: Segment[], gnuHash: number | undefined, sysvHash: number | undefined): number {
  if (gnuHash === undefined) return sysvHash === undefined ? 0 : r.u32(fileOffset(loads, sysvHash) + 4);
  const at = fileOffset(loads, gnuHash);
  const nbuckets = r.u32(at);
  const symoffset = r.u32(at + 4);
  const buckets = at + 16 + r.u32(at + 8) * 8;
  let last = 0;
  for (let i = 0; i < nbuckets; i++) last = Math.max(last, r.u32(buckets + i * 4));
  if (last < symoffset) return symoffset;
  const chain = buckets + nbuckets * 4;
  while ((r.u32(chain + (last - symoffset) * 4) & 1) === 0) last++;
  return last + 1;
}

/** Elf64_Sym entries (24 bytes), index 0 (the null symbol) skipped. */
function readSymbols(r: Reader, loads: Segment[], addr: number | undefined, count: number, str: (o: number) => StrRef): DynamicSymbol[] {
  if (addr === undefined) return [];
  const at = fileOffset(loads, addr);
  const symbols: DynamicSymbol[] = [];
  for (let i = 1; i < count; i++) {
    const entry = at + i * 24;
    const info = r.buf[entry + 4] ?? 0;
    symbols.push({ entry, name: str(r.u32(entry)), bind: info >> 4, type: info & 0xf, defined: r.u16(entry + 6) !== 0 });
  }
  return symbols;
}

/** The System V ELF hash, as stored in vna_hash and vd_hash. */
export function elfHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    h = ((h << 4) + name.charCodeAt(i)) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h;
}
