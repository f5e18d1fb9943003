/**
 * manifest.json of a prepared runtime directory: what it was made from and what it holds.
 * prepare.ts writes it last and renames the directory into place, so a directory without
 * one was never finished. The resolver checks it (cheaply: presence and sizes) before
 * letting the dynamic loader near the files; `npm run runtime:fetch` re-checks the hashes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE } from './paths.ts';

export const MANIFEST_FORMAT = 2;

export interface FileFacts {
  /** Relative to the runtime directory. */
  file: string;
  bytes: number;
  sha256: string;
}

export interface RuntimeManifest {
  format: typeof MANIFEST_FORMAT;
  /** The onnxruntime release of the library. */
  version: string;
  /** The symbol version the library defines and the patched binding needs (VERS_<version>). */
  versionName: string;
  /** The library's patched soname (also its file name). */
  soname: string;
  library: FileFacts;
  binding: FileFacts & {
    /** The onnxruntime-node install the binding and its JavaScript were copied from. */
    from: { version: string; sha256: string; neededVersion: string };
    /** Symbols made STB_GLOBAL so they are not shared with the bundled binding (elf-patch.ts). */
    unshared: string[];
  };
  commonVersion: string;
  wheel: { file: string; sha256: string };
  preparedAt: string;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const isFacts = (v: unknown): v is FileFacts =>
  typeof v === 'object' && v !== null && typeof (v as FileFacts).file === 'string' && typeof (v as FileFacts).bytes === 'number' && typeof (v as FileFacts).sha256 === 'string';

/** The manifest of `dir`, checked for shape and for every file it lists being there, whole. */
export function readManifest(dir: string): RuntimeManifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new ManifestError(`${dir} has no ${MANIFEST_FILE}: it is not a prepared runtime (npm run runtime:fetch prepares one)`);
  let manifest: RuntimeManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as RuntimeManifest;
  } catch (err) {
    throw new ManifestError(`${path} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (manifest.format !== MANIFEST_FORMAT) {
    throw new ManifestError(`${path} has format ${String(manifest.format)}, expected ${MANIFEST_FORMAT}: npm run runtime:fetch prepares it again`);
  }
  if (typeof manifest.version !== 'string' || !isFacts(manifest.library) || !isFacts(manifest.binding) || typeof manifest.binding.from?.version !== 'string') {
    throw new ManifestError(`${path} lacks version, library or binding facts`);
  }
  for (const facts of [manifest.library, manifest.binding]) {
    const file = join(dir, facts.file);
    if (!existsSync(file)) throw new ManifestError(`${file} is missing`);
    const bytes = statSync(file).size;
    if (bytes !== facts.bytes) throw new ManifestError(`${file} has ${bytes} bytes, the manifest says ${facts.bytes}`);
  }
  return manifest;
}
