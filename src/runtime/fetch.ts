/**
 * Download (resumable, SHA-256 pinned) and prepare the newer runtime; idempotent. The
 * download itself is models/fetch-download.ts, the one the model fetcher uses: a `.part`
 * file resumed with HTTP Range, a short connect deadline so an offline machine fails in
 * seconds, and the checksum checked before the file takes its final name.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { download, sha256File, type Progress } from '../../models/fetch-download.ts';
import { readManifest, type RuntimeManifest } from './manifest.ts';
import { ENTRY_FILE, bundledPackageDir, downloadsDir, packageVersion, runtimeDir } from './paths.ts';
import { NEWER_RUNTIME } from './pinned.ts';
import { libraryFromWheel, prepareRuntime } from './prepare.ts';

export interface FetchRuntimeOptions {
  root: string;
  /** Prepare again even when a good runtime directory is there. */
  force?: boolean;
  onProgress?: (p: Progress) => void;
  say?: (line: string) => void;
}

export interface FetchRuntimeResult {
  dir: string;
  manifest: RuntimeManifest;
  /** `present`: nothing to do; `prepared`: (re)built, downloading only when needed. */
  status: 'present' | 'prepared';
  downloaded: boolean;
}

export function wheelPath(root: string): string {
  return join(downloadsDir(root), NEWER_RUNTIME.wheel.file);
}

/** Why `dir` must be prepared again, or undefined when it is complete and current. */
async function staleness(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return 'not prepared yet';
  try {
    const manifest = readManifest(dir);
    if (manifest.wheel.sha256 !== NEWER_RUNTIME.wheel.sha256) return `it was made from another wheel (${manifest.wheel.file})`;
    const installed = packageVersion(bundledPackageDir());
    if (manifest.binding.from.version !== installed) return `it was made from onnxruntime-node ${manifest.binding.from.version}; ${installed} is installed`;
    for (const facts of [manifest.library, manifest.binding]) {
      if ((await sha256File(join(dir, facts.file))) !== facts.sha256) return `${facts.file} does not match its SHA-256`;
    }
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Loads the prepared runtime in a child process: a dlopen failure (a missing system
 * library, a refused symbol version) is reported here, not in the host's first worker.
 */
export function checkLoads(dir: string, manifest: RuntimeManifest): string | undefined {
  const script = [
    "import { readFileSync, realpathSync } from 'node:fs';",
    'const [entry, lib] = process.argv.slice(1);',
    'await import(entry);',
    "if (!readFileSync('/proc/self/maps', 'utf8').includes(realpathSync(lib))) throw new Error(`${lib} is not mapped`);",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(join(dir, ENTRY_FILE)).href, join(dir, manifest.library.file)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status === 0) return undefined;
  return (run.stderr.split('\n').find((l) => /Error/.test(l)) ?? run.stderr.trim()) || `exit ${run.status ?? run.signal}`;
}

export async function fetchRuntime(o: FetchRuntimeOptions): Promise<FetchRuntimeResult> {
  const say = o.say ?? (() => undefined);
  const dir = runtimeDir(o.root, NEWER_RUNTIME.version);
  const why = o.force === true ? 'forced' : await staleness(dir);
  if (why === undefined) return { dir, manifest: readManifest(dir), status: 'present', downloaded: false };
  say(`preparing onnxruntime ${NEWER_RUNTIME.version} in ${dir} (${why})`);

  const wheel = wheelPath(o.root);
  const { sha256, url } = NEWER_RUNTIME.wheel;
  const haveWheel = existsSync(wheel) && (await sha256File(wheel)) === sha256;
  if (!haveWheel) {
    say(`downloading ${url}`);
    const done = await download({ url, dest: wheel, sha256, onProgress: o.onProgress });
    if (done.resumedFrom > 0) say(`resumed a partial download at byte ${done.resumedFrom}; SHA-256 verified`);
  }
  const manifest = prepareRuntime({
    library: libraryFromWheel(wheel, NEWER_RUNTIME.version),
    version: NEWER_RUNTIME.version,
    dir,
    wheel: { file: NEWER_RUNTIME.wheel.file, sha256 },
  });
  return { dir, manifest, status: 'prepared', downloaded: !haveWheel };
}
