/**
 * Where things are. The cache root (`<project>/.cache/onnxruntime`, or KOKORO_ORT_DIR)
 * holds the downloaded wheel and one prepared runtime per version:
 *
 *   <root>/downloads/<wheel>            the verified wheel (kept: a re-prepare needs no network)
 *   <root>/<version>/manifest.json      written last, then the directory is renamed into place
 *   <root>/<version>/package.json, dist/   a copy of onnxruntime-node's JavaScript
 *   <root>/<version>/bin/napi-v6/linux/x64/onnxruntime_binding.node   the patched binding
 *   <root>/<version>/bin/napi-v6/linux/x64/libonnxrt-<version>.so      the patched library
 *   <root>/<version>/node_modules/onnxruntime-common/                 a copy (see prepare.ts)
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root seen from a module: the nearest directory above it that holds
 * package.json, from src/ and dist/src/ alike (a substring test for "/dist/" would be
 * fooled by a checkout that lives under a directory of that name). With a trailing slash.
 */
export function projectRootOf(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
    dir = up;
  }
  return `${dir}/`;
}

export const PROJECT_ROOT = projectRootOf(import.meta.url);

export const BINDING_DIR = 'bin/napi-v6/linux/x64';
export const BINDING_FILE = `${BINDING_DIR}/onnxruntime_binding.node`;
export const MANIFEST_FILE = 'manifest.json';
/** onnxruntime-node's entry point, relative to its package directory. */
export const ENTRY_FILE = 'dist/index.js';

export function cacheRoot(explicit?: string): string {
  return explicit !== undefined && explicit !== '' ? resolve(explicit) : join(PROJECT_ROOT, '.cache', 'onnxruntime');
}

export function runtimeDir(root: string, version: string): string {
  return join(root, version);
}

export function downloadsDir(root: string): string {
  return join(root, 'downloads');
}

/** The directory of an installed package, found from the file Node resolves for it. */
function packageDir(name: string, from: string): string {
  let dir = dirname(createRequire(from).resolve(name));
  while (dir !== dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === name) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the package directory of ${name}`);
}

/** node_modules/onnxruntime-node: the package (and bundled runtime) the host depends on. */
export function bundledPackageDir(): string {
  return packageDir('onnxruntime-node', import.meta.url);
}

/** The onnxruntime-common that onnxruntime-node itself resolves. */
export function commonPackageDir(): string {
  return packageDir('onnxruntime-common', join(bundledPackageDir(), 'package.json'));
}

export function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
