/** TurnPipeline's timers: the per-chunk guard and the drain safety timeout, each armed and cleared. */
import t from 'tap';
import { feed, flush, setup } from '../helpers/pipeline-fixture.ts';

t.test('a chunk that never settles times out via chunkGuardMs and the pipeline continues', async (t) => {
  const { synth, pipeline, rec } = setup({ chunkGuardMs: 30 });
  feed(pipeline, 3);
  const done = pipeline.finish();
  synth.call('chunk 0').resolve();
  synth.call('chunk 2').resolve();
  const summary = await done;
  t.same(rec.events, ['audio:0', 'error:1:tts_chunk_timeout', 'audio:2', 'done']);
  t.ok(synth.call('chunk 1').aborted, "the stuck chunk's request was aborted");
  t.equal(summary.failed, 1);
  synth.call('chunk 1').resolve();
  await flush();
  t.equal(rec.audio.length, 2, 'a late result after the guard is discarded');
});

/** Live timers in this process: a timer left armed keeps a handle the event loop waits on. */
const liveTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

t.test('the guard timer is cleared when a chunk settles', async (t) => {
  const before = liveTimers();
  const { synth, pipeline, rec } = setup({ chunkGuardMs: 60_000 });
  feed(pipeline, 1);
  t.equal(liveTimers(), before + 1, 'the guard is armed while the chunk runs');
  synth.call('chunk 0').resolve();
  await pipeline.finish();
  t.same(rec.events, ['audio:0', 'done']);
  t.equal(liveTimers(), before, 'and cleared when it settled');
});

t.test('the drain safety timeout completes a turn that can never drain', async (t) => {
  const { synth, pipeline, rec } = setup({ drainSafetyMs: 40 });
  feed(pipeline, 3);
  synth.call('chunk 0').resolve();
  synth.call('chunk 2').resolve();
  const summary = await pipeline.finish();
  t.same(rec.events, ['audio:0', 'error:1:tts_chunk_timeout', 'audio:2', 'done']);
  t.ok(synth.call('chunk 1').aborted);
  t.same([summary.chunks, summary.failed, summary.ended], [3, 1, 'done']);
});

t.test('the drain safety timeout with the gate still closed: held audio becomes failures, no audio leaks', async (t) => {
  const { synth, pipeline, rec } = setup({ drainSafetyMs: 40 });
  pipeline.setDeliveryOpen(false);
  feed(pipeline, 2);
  synth.call('chunk 0').resolve();
  const summary = await pipeline.finish();
  t.same(rec.events, ['error:0:tts_chunk_timeout', 'error:1:tts_chunk_timeout', 'all_failed', 'done']);
  t.same([summary.failed, summary.ended], [2, 'done']);
});

t.test('the safety timeout is cleared on normal completion', async (t) => {
  const before = liveTimers();
  const { synth, pipeline, rec } = setup({ drainSafetyMs: 60_000 });
  feed(pipeline, 1);
  const done = pipeline.finish();
  t.equal(liveTimers(), before + 1, 'the safety timeout is armed while the turn drains');
  synth.call('chunk 0').resolve();
  await done;
  t.same(rec.events, ['audio:0', 'done']);
  t.equal(liveTimers(), before, 'and cleared when it completed');
});
