/**
 * npm start's model step (models/auto-fetch.ts): when it downloads, when it leaves things
 * alone, and that offline it gives way to the synthetic model instead of stopping the start.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { autoFetchPlan } from '../../models/auto-fetch.ts';
import { ROOT } from '../../harness/paths.ts';

function emptyDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'model-auto-fetch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('fetches only when nothing says not to', async (t) => {
  const dir = emptyDir(t);
  t.same(autoFetchPlan({}, ['--dest', dir]), { fetch: true }, 'no model, no opt-out: fetch');
  t.match(autoFetchPlan({ KOKORO_AUTO_FETCH: '0' }, ['--dest', dir]), { fetch: false, why: 'KOKORO_AUTO_FETCH=0' });
  t.match(autoFetchPlan({ KOKORO_MODEL: '/elsewhere/model.onnx' }, ['--dest', dir]), { fetch: false, why: 'KOKORO_MODEL is set' });
  t.match(autoFetchPlan({ KOKORO_AUTO_FETCH: 'maybe' }, ['--dest', dir]), { fetch: false, why: /invalid/ }, 'a bad value is left to the host to report (exit 2)');
  writeFileSync(join(dir, 'model.onnx'), 'x');
  t.match(autoFetchPlan({}, ['--dest', dir]), { fetch: false, why: /model\.onnx is present/ }, 'a genuine model in place: nothing to do');
  t.throws(() => autoFetchPlan({}, ['--dtype', 'q9']), { code: 'bad_argument' }, 'bad arguments are model:fetch\'s errors');
});

t.test('offline: a warning, exit 0, and the host starts on the synthetic model', async (t) => {
  const dir = emptyDir(t);
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'models/auto-fetch.ts'), '--dest', dir],
      // A closed port: the connection is refused at once, as with no network.
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', KOKORO_MODEL_BASE_URL: 'http://127.0.0.1:1' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
    );
  });
  t.equal(run.code, 0, 'npm start goes on');
  t.match(run.stdout, 'fetching the default one first');
  t.match(run.stderr, '[unreachable]', "model:fetch's reason");
  t.match(run.stderr, 'serves the SYNTHETIC model', 'the warning says what the host will serve');
});
