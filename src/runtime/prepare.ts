/**
 * Builds a runtime directory that `import()` can load: onnxruntime-node's JavaScript and
 * binding, re-pointed (elf-patch.ts) at a newer onnxruntime library and kept apart from
 * the bundled binding loaded in the same process. Pure Node: no compiler, no patchelf, no
 * Python.
 *
 * onnxruntime-common is copied, not linked: Node resolves a symlink to its real path, so a
 * link would make this copy share the project's onnxruntime-common instance, and kokoro-js
 * has already loaded the bundled onnxruntime-node into that instance in every worker
 * thread. A second registerBackend('cpu', ..., 100) there throws ("cannot register
 * backend"), and redefining env.versions.node throws too. With its own copy, each runtime
 * keeps its own registry, Tensor class and binding.
 *
 * The directory is assembled under a temporary name and renamed into place with its
 * manifest already inside, so a half-prepared directory is never seen at the final path.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { renameNeeded, renameNeededVersion, renameSoname, unshareUniqueSymbols } from './elf-patch.ts';
import { readDynamic } from './elf.ts';
import { MANIFEST_FORMAT, type RuntimeManifest } from './manifest.ts';
import { BINDING_DIR, BINDING_FILE, MANIFEST_FILE, bundledPackageDir, commonPackageDir, packageVersion } from './paths.ts';
import { BUNDLED_SONAME, newerSoname, versionName, wheelLibEntry } from './pinned.ts';
import { readZipEntry } from './zip.ts';

export interface PrepareOptions {
  /** The unpatched newer library, as the wheel holds it. */
  library: Buffer;
  version: string;
  /** The final directory, e.g. <root>/1.32.0. */
  dir: string;
  wheel: { file: string; sha256: string };
  /** Defaults: the project's onnxruntime-node and the onnxruntime-common it resolves. */
  bundledDir?: string;
  commonDir?: string;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The library out of the wheel (only that entry is read and inflated). */
export function libraryFromWheel(wheelPath: string, version: string): Buffer {
  return readZipEntry(wheelPath, wheelLibEntry(version));
}

/** The version the binding needs from the bundled library, e.g. VERS_1.30.0. */
function bindingNeededVersion(binding: Buffer): string {
  const need = readDynamic(binding).versionNeeds.find((n) => n.file.value === BUNDLED_SONAME);
  const name = need?.versions.find((v) => v.name.value.startsWith('VERS_'))?.name.value;
  if (name === undefined) throw new Error(`onnxruntime-node's binding needs no VERS_* version of ${BUNDLED_SONAME}: it cannot be re-pointed`);
  return name;
}

/** Removes temporary directories left by a prepare that died (its process is gone). */
function sweepStale(dir: string): void {
  const prefix = `${basename(dir)}.tmp-`;
  if (!existsSync(dirname(dir))) return;
  for (const name of readdirSync(dirname(dir))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      // ESRCH: no such process.
    }
    if (!alive) rmSync(join(dirname(dir), name), { recursive: true, force: true });
  }
}

function assemble(tmp: string, o: Required<PrepareOptions>): RuntimeManifest {
  const soname = newerSoname(o.version);
  const wanted = versionName(o.version);

  const library = Buffer.from(o.library);
  const info = readDynamic(library);
  if (!info.versionDefs.some((d) => d.names[0]?.value === wanted)) {
    const defined = info.versionDefs.map((d) => d.names[0]?.value).join(', ');
    throw new Error(`the library defines ${defined || 'no versions'}, not ${wanted}: it is not onnxruntime ${o.version}`);
  }
  renameSoname(library, BUNDLED_SONAME, soname);

  const original = readFileSync(join(o.bundledDir, BINDING_FILE));
  const binding = Buffer.from(original);
  const neededVersion = bindingNeededVersion(binding);
  renameNeededVersion(binding, BUNDLED_SONAME, neededVersion, wanted);
  renameNeeded(binding, BUNDLED_SONAME, soname);
  const unshared = unshareUniqueSymbols(binding);

  cpSync(join(o.bundledDir, 'dist'), join(tmp, 'dist'), { recursive: true });
  // Its package.json has no "type": the copied dist/*.js stay CommonJS, whatever encloses the cache.
  cpSync(join(o.bundledDir, 'package.json'), join(tmp, 'package.json'));
  cpSync(o.commonDir, join(tmp, 'node_modules', 'onnxruntime-common'), { recursive: true, dereference: true });
  mkdirSync(join(tmp, BINDING_DIR), { recursive: true });
  const libraryFile = `${BINDING_DIR}/${soname}`;
  writeFileSync(join(tmp, BINDING_FILE), binding);
  writeFileSync(join(tmp, libraryFile), library);

  return {
    format: MANIFEST_FORMAT,
    version: o.version,
    versionName: wanted,
    soname,
    library: { file: libraryFile, bytes: library.length, sha256: sha256(library) },
    binding: {
      file: BINDING_FILE,
      bytes: binding.length,
      sha256: sha256(binding),
      from: { version: packageVersion(o.bundledDir), sha256: sha256(original), neededVersion },
      unshared,
    },
    commonVersion: packageVersion(o.commonDir),
    wheel: o.wheel,
    preparedAt: new Date().toISOString(),
  };
}

/** Writes the runtime directory `options.dir`, replacing any earlier one. */
export function prepareRuntime(options: PrepareOptions): RuntimeManifest {
  const o: Required<PrepareOptions> = { bundledDir: bundledPackageDir(), commonDir: commonPackageDir(), ...options };
  sweepStale(o.dir);
  const tmp = `${o.dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const manifest = assemble(tmp, o);
    writeFileSync(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(o.dir)) {
      // A directory cannot be renamed over a non-empty one: move the old one aside first.
      // Running hosts keep their mapped files; only new loads see the new directory.
      const old = `${o.dir}.tmp-${process.pid}-old`;
      renameSync(o.dir, old);
      renameSync(tmp, o.dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, o.dir);
    }
    return manifest;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
