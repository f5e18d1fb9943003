/**
 * Why the pool never terminates a worker inside session.run: on onnxruntime-node
 * 1.22.0 through 1.30.0 (Node 20) the process aborts when the native call returns into
 * the terminated thread. If this test starts failing, a new onnxruntime-node no longer
 * aborts: src/shared/native-slots.ts may then be simplified to plain terminate().
 */
import { spawnSync } from 'node:child_process';
import ort from 'onnxruntime-node';
import t from 'tap';

t.test(`terminating a worker inside session.run aborts the process (onnxruntime-node ${ort.env.versions.node})`, async (t) => {
  const fixture = new URL('../fixtures/terminate-in-native.mjs', import.meta.url).pathname;
  const run = spawnSync(process.execPath, [fixture], { encoding: 'utf8', timeout: 60_000 });
  t.equal(run.signal, 'SIGABRT', 'the whole process aborted');
  t.match(run.stderr, /Napi::Error/);
  t.notMatch(run.stdout, /process survived/);
});
