/**
 * npm run runtime:fetch [-- --force]
 *
 * Downloads the pinned onnxruntime wheel from PyPI (resumable, SHA-256 checked), takes
 * its CPU library out, and prepares <cache root>/<version>/ for the host (prepare.ts).
 * Run it again at any time: it does nothing when the runtime is prepared and intact.
 * The cache root is <project>/.cache/onnxruntime, or KOKORO_ORT_DIR.
 *
 * Progress and messages go to stderr; stdout gets the prepared directory's path.
 * Exit status: 0 ready, 1 failed, 2 no network (fetch the wheel by hand), 64 bad usage.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FetchError } from '../../models/fetch-download.ts';
import { progressReporter } from '../../models/fetch-progress.ts';
import { checkLoads, fetchRuntime, wheelPath } from './fetch.ts';
import { cacheRoot } from './paths.ts';
import { NEWER_RUNTIME } from './pinned.ts';

const say = (line: string) => process.stderr.write(`runtime:fetch: ${line}\n`);

async function main(): Promise<number> {
  let force: boolean;
  try {
    ({ force } = parseArgs({ args: process.argv.slice(2), options: { force: { type: 'boolean', default: false } }, strict: true }).values);
  } catch (err) {
    say(`${err instanceof Error ? err.message : String(err)}\nusage: npm run runtime:fetch [-- --force]`);
    return 64;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    say(`the newer onnxruntime is prepared for linux-x64 only; this is ${process.platform}-${process.arch} (the host uses onnxruntime-node's bundled runtime)`);
    return 1;
  }
  const root = cacheRoot(process.env.KOKORO_ORT_DIR);
  const progress = progressReporter(process.stderr, NEWER_RUNTIME.wheel.file);
  try {
    const done = await fetchRuntime({ root, force, onProgress: progress.update, say }).finally(() => progress.finish());
    const broken = checkLoads(done.dir, done.manifest);
    if (broken !== undefined) {
      say(`${done.dir} was prepared but does not load: ${broken}\nThe host falls back to the bundled onnxruntime (with a warning) until this is fixed.`);
      return 1;
    }
    say(done.status === 'present' ? `onnxruntime ${done.manifest.version} is already prepared (--force prepares it again)` : `onnxruntime ${done.manifest.version} is ready`);
    process.stdout.write(`${done.dir}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof FetchError)) {
      say(`failed: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    say(`${err.message} [${err.code}]`);
    if (err.code === 'unreachable' || err.code === 'interrupted' || err.code === 'http_status') {
      const wheel = wheelPath(root);
      say(`On a machine with internet access, download\n  ${NEWER_RUNTIME.wheel.url}\n(SHA-256 ${NEWER_RUNTIME.wheel.sha256}), put it at\n  ${wheel}\nand run npm run runtime:fetch again.`);
      if (existsSync(`${wheel}.part`)) say(`The partial download ${wheel}.part is kept: running this again resumes it.`);
    }
    return err.exitCode;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
