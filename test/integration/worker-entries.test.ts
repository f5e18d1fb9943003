/**
 * The two worker entries: the production worker (workers/synth.worker.ts) holds no fault
 * hooks, so fault markers are just text to it even when its init asks for fault injection;
 * the test entry (workers/synth.faults.worker.ts) acts them out and speaks the rest.
 */
import { Piscina } from 'piscina';
import t, { type Test } from 'tap';
import type { SynthResult, WorkerInit } from '../../src/shared/protocol.ts';
import { STALL_MODEL, SYNTHETIC_MODEL } from '../helpers/pool.ts';

const init: WorkerInit = { modelPath: SYNTHETIC_MODEL, stallModelPath: STALL_MODEL, intraOpThreads: 1, enableCpuMemArena: false, faultInjection: true };

function entry(t: Test, file: string): (text: string) => Promise<SynthResult> {
  const piscina = new Piscina({ filename: new URL(`../../workers/${file}`, import.meta.url).pathname, minThreads: 1, maxThreads: 1, workerData: init });
  t.teardown(() => piscina.destroy());
  let taskId = 0;
  return (text) => piscina.run({ taskId: ++taskId, text, voice: 'af_heart', speed: 1 }) as Promise<SynthResult>;
}

t.test('the production worker speaks a fault marker as text: it neither crashes nor fails', async (t) => {
  const run = entry(t, 'synth.worker.ts');
  const marked = await run('[[crash]] Hello there.');
  const plain = await run('Hello there.');
  t.equal(marked.ok, true, 'the thread did not exit');
  t.ok(marked.ok && plain.ok && marked.tokens > plain.tokens, 'the marker was phonemized with the text, not stripped');
  const error = await run('[[error]] Hello there.');
  t.equal(error.ok, true, 'no injected inference error');
});

t.test('the fault entry acts the markers out and speaks the stripped text', async (t) => {
  const run = entry(t, 'synth.faults.worker.ts');
  const plain = await run('Hello there.');
  const slow = await run('[[slow:1]] Hello there.');
  t.ok(plain.ok && slow.ok && slow.tokens === plain.tokens, 'the marker is stripped before speaking');
  const error = await run('[[error]] Hello there.');
  t.equal(!error.ok && error.code, 'inference_error', 'an injected inference error');
  const stall = await run('[[stall:1]] Hello there.');
  t.equal(stall.ok, true, 'the stall model is loaded and a 1 ms stall returns');
});
