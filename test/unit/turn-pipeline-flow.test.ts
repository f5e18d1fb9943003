/** TurnPipeline's flow control: urgency, look-ahead bound, delivery gate, paused dispatch, per-chunk settings, metrics. */
import t from 'tap';
import { TtsError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { TurnPipeline } from '../../src/pipeline/turn-pipeline.ts';
import { feed, flush, setup, FakeSynth } from '../helpers/pipeline-fixture.ts';

t.test('only the chunk the listener waits on is urgent; look-ahead chunks are not', async (t) => {
  const { synth, pipeline } = setup({ maxInFlight: 2 });
  feed(pipeline, 4);
  t.same(synth.calls.map((c) => c.req.urgent), [true, false], 'chunk 0 waited on, chunk 1 ahead');
  synth.call('chunk 0').resolve();
  await flush();
  t.same(synth.calls.map((c) => c.req.urgent), [true, false, false], 'chunk 2 is dispatched while chunk 1 is still to play');
  synth.call('chunk 2').resolve();
  synth.call('chunk 1').resolve();
  await flush();
  t.equal(synth.calls.at(-1)!.req.urgent, true, 'chunk 3, dispatched when everything before it has played, is waited on');
  synth.call('chunk 3').resolve();
  await pipeline.finish();
});

t.test('maxInFlight bounds dispatched-but-not-emitted chunks', async (t) => {
  const { synth, pipeline, rec } = setup({ maxInFlight: 2 });
  feed(pipeline, 5);
  t.equal(synth.calls.length, 2);
  t.equal(pipeline.inFlight, 2);
  synth.call('chunk 1').resolve();
  await flush();
  t.equal(synth.calls.length, 2, 'a finished chunk still holds its slot until emitted in order');
  synth.call('chunk 0').resolve();
  await flush();
  t.equal(synth.calls.length, 4, 'chunks 0 and 1 emitted: two new dispatches');
  t.equal(pipeline.inFlight, 2);
  let max = 0;
  const done = pipeline.finish();
  // Five chunks need at most five settles; a bounded loop fails instead of spinning.
  for (let step = 0; step < 10 && rec.events.at(-1) !== 'done'; step++) {
    max = Math.max(max, pipeline.inFlight);
    const open = synth.calls.filter((c) => !rec.audio.some((a) => a.text === c.req.text));
    open[0]?.resolve();
    await flush();
  }
  t.equal(rec.events.at(-1), 'done', 'the turn completed');
  await done;
  t.ok(max <= 2);
  t.equal(rec.audio.length, 5);
});

t.test('delivery gate: closed holds audio (synthesis goes on), open releases in order', async (t) => {
  const { synth, pipeline, rec } = setup({ maxInFlight: 2 });
  pipeline.setDeliveryOpen(false);
  feed(pipeline, 3);
  const done = pipeline.finish();
  synth.call('chunk 1').resolve();
  synth.call('chunk 0').resolve();
  await flush();
  t.same(rec.events, [], 'held');
  t.equal(synth.calls.length, 2, 'held audio keeps its slots: at most maxInFlight chunks buffered');
  pipeline.setDeliveryOpen(true);
  t.same(rec.events, ['audio:0', 'audio:1'], 'released synchronously, in order');
  synth.call('chunk 2').resolve();
  await done;
  t.same(rec.events, ['audio:0', 'audio:1', 'audio:2', 'done']);
});

t.test('a turn with a closed gate does not finish before it is opened', async (t) => {
  const { pipeline, rec } = setup();
  pipeline.setDeliveryOpen(false);
  let resolved = false;
  const done = pipeline.finish().then(() => (resolved = true));
  await flush();
  t.equal(resolved, false);
  pipeline.setDeliveryOpen(true);
  await done;
  t.same(rec.events, ['done']);
});

t.test('pauseDispatch stops new dispatches; resumeDispatch restarts them', async (t) => {
  const { synth, pipeline, rec } = setup({ maxInFlight: 3 });
  pipeline.processChunk('chunk 0');
  pipeline.pauseDispatch();
  pipeline.processChunk('chunk 1');
  pipeline.processChunk('chunk 2');
  t.equal(synth.calls.length, 1, 'only the chunk dispatched before the pause');
  synth.call('chunk 0').resolve();
  await flush();
  t.same(rec.events, ['audio:0'], 'in-flight chunks continue while paused');
  t.equal(synth.calls.length, 1);
  pipeline.resumeDispatch();
  t.equal(synth.calls.length, 3);
});

t.test('per-chunk overrides and setDefaults apply at dispatch', async (t) => {
  const { synth, pipeline } = setup({ maxInFlight: 1 });
  pipeline.processChunk('a', { voice: 'am_adam', speed: 1.5 });
  pipeline.processChunk('b');
  pipeline.setDefaults({ voice: 'bf_emma', speed: 0.8 });
  synth.call('a').resolve();
  await flush();
  t.same([synth.call('a').req.voice, synth.call('a').req.speed], ['am_adam', 1.5]);
  t.same([synth.call('b').req.voice, synth.call('b').req.speed], ['bf_emma', 0.8], 'defaults changed before b was dispatched');
});

t.test('chunks are numbered in the order given; bad calls are refused with internal', async (t) => {
  const { pipeline } = setup();
  t.same([pipeline.processChunk('x'), pipeline.processChunk('y'), pipeline.processChunk('z')], [0, 1, 2], 'indices 0, 1, 2');
  void pipeline.finish();
  t.throws(() => pipeline.processChunk('w'), { code: 'internal' }, 'after finish()');
  const synth = new FakeSynth();
  const base = { synth, owner: 'o', voice: 'v', speed: 1, maxInFlight: 1, drainSafetyMs: 1000 };
  t.throws(() => new TurnPipeline('t', { ...base, maxInFlight: 0 }), RangeError);
  t.throws(() => new TurnPipeline('t', { ...base, drainSafetyMs: 0 }), RangeError);
  t.throws(() => new TurnPipeline('t', { ...base, chunkGuardMs: -1 }), RangeError);
  pipeline.cancel();
});

t.test('without an error listener a failure is skipped, not thrown', async (t) => {
  const synth = new FakeSynth();
  const p = new TurnPipeline('t', { synth, owner: 'o', voice: 'v', speed: 1, maxInFlight: 2, drainSafetyMs: 1000 });
  p.processChunk('x');
  const done = p.finish();
  synth.calls[0]!.reject(new TtsError('tts_chunk_failed', 'x'));
  t.equal((await done).failed, 1);
});

t.test('a listener may cancel from inside an audio event', async (t) => {
  const { synth, pipeline, rec } = setup();
  pipeline.once('audio', () => pipeline.cancel());
  feed(pipeline, 3);
  synth.call('chunk 1').resolve();
  synth.call('chunk 0').resolve();
  await flush();
  t.same(rec.events, ['audio:0', 'cancelled:0'], 'chunk 1 (already done) is not emitted after the cancel');
});

t.test('metrics: first chunk, turn total, delivered, failed by code', async (t) => {
  const metrics = createMetrics();
  const { synth, pipeline } = setup({ metrics });
  feed(pipeline, 3);
  const done = pipeline.finish();
  synth.call('chunk 0').resolve();
  synth.call('chunk 1').reject(new TtsError('tts_chunk_timeout', 'slow'));
  synth.call('chunk 2').resolve();
  await done;
  const value = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values;
  t.equal((await value('kokoro_chunks_delivered_total'))[0]!.value, 2);
  t.same(
    (await value('kokoro_chunks_failed_total')).map((v) => [v.labels.code, v.value]),
    [['tts_chunk_timeout', 1]],
  );
  const count = async (name: string) =>
    (await value(name)).find((v) => (v as { metricName?: string }).metricName === `${name}_count`)!.value;
  t.equal(await count('kokoro_turn_first_chunk_seconds'), 1);
  t.equal(await count('kokoro_turn_total_seconds'), 1);
});
