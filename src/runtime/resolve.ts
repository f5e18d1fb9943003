/**
 * Which onnxruntime a thread runs on. KOKORO_ORT (config.ts) chooses:
 *
 *   auto      the prepared newer runtime (pinned.ts) when <cache root>/<version> exists,
 *             else onnxruntime-node's bundled one
 *   bundled   onnxruntime-node's bundled runtime
 *   <path>    the prepared runtime directory at <path>
 *
 * A newer runtime that is there but cannot be used (a stale or damaged directory, a
 * dlopen error, a version the library does not define) never stops the host: the thread
 * falls back to the bundled runtime, a real load, and says why in `fallbackReason`.
 *
 * Both runtimes live in one process: kokoro-js imports onnxruntime-node in every worker.
 * prepare.ts makes them independent (own soname, own onnxruntime-common, own OrtApi
 * pointer); test/unit/runtime-coexist.test.ts and test/real/runtime-newer.test.ts check it.
 *
 * The result is memoized per thread: onnxruntime's native library is loaded once per
 * process, and every session of a thread must use the same module's Tensor class.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readManifest } from './manifest.ts';
import { ENTRY_FILE, bundledPackageDir, cacheRoot, packageVersion, runtimeDir } from './paths.ts';
import { BUNDLED_SONAME, NEWER_RUNTIME } from './pinned.ts';
import type { RuntimeInfo } from './types.ts';

export type { RuntimeInfo } from './types.ts';
export type Ort = typeof import('onnxruntime-node');

export interface RuntimeOptions {
  /** `auto` (default), `bundled`, or the path of a prepared runtime directory. */
  choice?: string | undefined;
  /** Where `auto` looks: default <project>/.cache/onnxruntime (paths.ts). */
  cacheRoot?: string | undefined;
  /** Tests only: decide as if on this platform. */
  platform?: string;
  arch?: string;
}

export interface LoadedRuntime {
  ort: Ort;
  info: RuntimeInfo;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** onnxruntime-node is CommonJS: Node's import() puts it on `default`, tsx's on the namespace itself. */
async function importOrt(specifier: string): Promise<Ort> {
  const mod = (await import(specifier)) as Ort & { default?: Ort };
  return mod.default ?? mod;
}

async function loadBundled(why: Pick<RuntimeInfo, 'fallbackReason' | 'note'>): Promise<LoadedRuntime> {
  const ort = await importOrt('onnxruntime-node');
  const dir = bundledPackageDir();
  const bin = join(dir, 'bin', 'napi-v6', process.platform, process.arch);
  const path = process.platform === 'linux' ? join(bin, BUNDLED_SONAME) : bin;
  return { ort, info: { version: packageVersion(dir), source: 'bundled', path, ...why } };
}

/**
 * True when the process has `file` mapped: the binding's dependency was satisfied by this
 * file, not by a library of the same soname loaded earlier (unit test "same soname").
 * Which library the binding then calls is prepare.ts's business (unshareUniqueSymbols).
 */
function isMapped(file: string): boolean {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .some((line) => line.endsWith(` ${file}`));
}

async function loadNewer(dir: string, pinned: string | undefined): Promise<LoadedRuntime> {
  const manifest = readManifest(dir);
  if (pinned !== undefined && manifest.version !== pinned) throw new Error(`it holds onnxruntime ${manifest.version}, the host pins ${pinned}`);
  const installed = packageVersion(bundledPackageDir());
  if (manifest.binding.from.version !== installed) {
    throw new Error(`it was prepared from onnxruntime-node ${manifest.binding.from.version} and ${installed} is installed: run npm run runtime:fetch`);
  }
  // dlopen happens here. A library that does not define the version the binding needs
  // (VERS_<version>) is refused by the dynamic loader, and the import throws.
  const ort = await importOrt(pathToFileURL(join(dir, ENTRY_FILE)).href);
  const library = realpathSync(join(dir, manifest.library.file));
  if (!isMapped(library)) throw new Error(`its binding loaded, but ${library} is not mapped into the process`);
  return { ort, info: { version: manifest.version, source: 'newer', path: library } };
}

async function choose(o: RuntimeOptions): Promise<LoadedRuntime> {
  const choice = o.choice ?? 'auto';
  if (choice === 'bundled') return loadBundled({});
  const platform = o.platform ?? process.platform;
  const arch = o.arch ?? process.arch;
  if (platform !== 'linux' || arch !== 'x64') {
    return loadBundled({ note: `a newer onnxruntime is only prepared for linux-x64, and this is ${platform}-${arch}` });
  }
  const auto = choice === 'auto';
  const dir = auto ? runtimeDir(cacheRoot(o.cacheRoot), NEWER_RUNTIME.version) : resolve(choice);
  if (auto && !existsSync(dir)) {
    return loadBundled({ note: `no newer onnxruntime is prepared in ${dir}: npm run runtime:fetch prepares ${NEWER_RUNTIME.version}` });
  }
  try {
    return await loadNewer(dir, auto ? NEWER_RUNTIME.version : undefined);
  } catch (err) {
    return loadBundled({ fallbackReason: `the onnxruntime in ${dir} could not be used: ${message(err)}` });
  }
}

const loaded = new Map<string, Promise<LoadedRuntime>>();

export function loadRuntime(options: RuntimeOptions = {}): Promise<LoadedRuntime> {
  const key = JSON.stringify([options.choice ?? 'auto', cacheRoot(options.cacheRoot), options.platform, options.arch]);
  let runtime = loaded.get(key);
  if (runtime === undefined) {
    runtime = choose(options);
    loaded.set(key, runtime);
  }
  return runtime;
}
