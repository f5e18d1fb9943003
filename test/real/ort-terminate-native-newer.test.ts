/**
 * test/integration/ort-terminate-native.test.ts's evidence, on the newer onnxruntime
 * prepared by `npm run runtime:fetch`: terminating a worker thread inside session.run
 * still aborts the process. The abort comes from onnxruntime-node's binding (a
 * Napi::Error thrown into a terminating thread when the call returns), and the newer
 * runtime keeps that 1.30.0 binding, so the pool's native-slot handshake
 * (src/shared/native-slots.ts) stays necessary. If this starts failing while the
 * bundled-runtime test still passes, the runtime library was involved after all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { readManifest } from '../../src/runtime/manifest.ts';
import { ENTRY_FILE, cacheRoot, runtimeDir } from '../../src/runtime/paths.ts';
import { NEWER_RUNTIME } from '../../src/runtime/pinned.ts';

const DIR = runtimeDir(cacheRoot(process.env.KOKORO_ORT_DIR), NEWER_RUNTIME.version);
const skip = existsSync(DIR) ? false : `no newer onnxruntime in ${DIR} (npm run runtime:fetch): NOT checked on the newer runtime`;

t.test(`terminating a worker inside session.run on onnxruntime ${NEWER_RUNTIME.version} aborts the process`, { skip }, async (t) => {
  const fixture = new URL('../fixtures/terminate-in-native.mjs', import.meta.url).pathname;
  const library = join(DIR, readManifest(DIR).library.file);
  const run = spawnSync(process.execPath, [fixture, pathToFileURL(join(DIR, ENTRY_FILE)).href], { encoding: 'utf8', timeout: 60_000 });
  t.match(run.stdout, `onnxruntime libraries mapped: ${library}\n`, 'the worker ran on the newer library only');
  t.equal(run.signal, 'SIGABRT', 'the whole process aborted');
  t.match(run.stderr, /Napi::Error/);
  t.notMatch(run.stdout, /process survived/);
});
