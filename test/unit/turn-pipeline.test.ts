/** TurnPipeline: ordered delivery, cancel, chunk failures and the turn's summary. */
import t from 'tap';
import { TtsError } from '../../src/errors.ts';
import type { Synthesizer } from '../../src/synth/types.ts';
import { TurnPipeline, type ChunkFailure } from '../../src/pipeline/turn-pipeline.ts';
import { feed, flush, setup } from '../helpers/pipeline-fixture.ts';

t.test('single chunk: audio, done, summary', async (t) => {
  const { synth, pipeline, rec } = setup({ startedAt: performance.now() - 50 });
  pipeline.processChunk('Hello.');
  t.equal(synth.calls.length, 1);
  t.same(synth.calls[0]!.req, { text: 'Hello.', voice: 'af_heart', speed: 1, owner: 'conn-1', signal: synth.calls[0]!.req.signal, urgent: true });
  const done = pipeline.finish();
  synth.calls[0]!.resolve({ provider: 'upstream' });
  const summary = await done;
  t.same(rec.events, ['audio:0', 'done']);
  t.match(rec.audio[0], { turnId: 'turn-1', index: 0, text: 'Hello.', sampleRate: 24000, queueMs: 1, synthMs: 2, provider: 'upstream' });
  t.equal(summary.chunks, 1);
  t.equal(summary.failed, 0);
  t.equal(summary.audioMs, 100);
  t.equal(summary.ended, 'done');
  t.ok(summary.firstAudioMs !== null && summary.firstAudioMs >= 50, 'first audio measured from startedAt');
  t.equal(pipeline.lastDeliveredIndex, 0);
  t.equal(pipeline.inFlight, 0);
});

t.test('out-of-order completion is delivered in order', async (t) => {
  const { synth, pipeline, rec } = setup();
  feed(pipeline, 4);
  const done = pipeline.finish();
  synth.call('chunk 3').resolve();
  synth.call('chunk 1').resolve();
  await flush();
  t.same(rec.events, [], 'nothing before chunk 0');
  synth.call('chunk 0').resolve();
  await flush();
  t.same(rec.events, ['audio:0', 'audio:1']);
  synth.call('chunk 2').resolve();
  await done;
  t.same(rec.events, ['audio:0', 'audio:1', 'audio:2', 'audio:3', 'done']);
});

t.test('cancel aborts every request, emits cancelled, and no audio follows', async (t) => {
  const { synth, pipeline, rec } = setup({ maxInFlight: 2 });
  feed(pipeline, 5);
  t.equal(synth.calls.length, 2, 'two dispatched, three queued');
  synth.call('chunk 0').resolve();
  await flush();
  t.equal(synth.calls.length, 3, 'chunk 0 emitted: chunk 2 took its slot');
  const done = pipeline.finish();
  pipeline.cancel();
  t.ok(synth.call('chunk 1').aborted, "the running chunks' signals fired");
  t.ok(synth.call('chunk 2').aborted);
  t.notOk(synth.call('chunk 0').aborted, 'a settled request is left alone');
  t.equal(synth.calls.length, 3, 'queued chunks were never dispatched');
  synth.call('chunk 1').resolve();
  await flush();
  const summary = await done;
  t.same(rec.events, ['audio:0', 'cancelled:0'], 'no audio after cancel, no done');
  t.equal(summary.ended, 'cancelled');
  t.equal(summary.chunks, 5);
  const again = await pipeline.finish();
  t.equal(again.ended, 'cancelled', 'finish() after cancel resolves at once');
  pipeline.cancel();
  t.same(rec.events, ['audio:0', 'cancelled:0'], 'a second cancel does nothing');
});

t.test('a cancelled pipeline ignores new chunks', async (t) => {
  const { synth, pipeline, rec } = setup();
  pipeline.cancel();
  t.same(rec.events, ['cancelled:-1']);
  t.equal(pipeline.processChunk('late'), -1, 'ignored: no index');
  t.equal(synth.calls.length, 0);
  t.equal(pipeline.inFlight, 0);
});

t.test('a failure emits an error event and is tracked', async (t) => {
  const { synth, pipeline, rec } = setup();
  feed(pipeline, 1);
  const done = pipeline.finish();
  synth.call('chunk 0').reject(new TtsError('inference_error', 'boom'));
  const summary = await done;
  t.equal(rec.errors.length, 1);
  t.match(rec.errors[0], { turnId: 'turn-1', index: 0, text: 'chunk 0' });
  t.equal(rec.errors[0]!.error.code, 'inference_error');
  t.equal(summary.failed, 1);
});

t.test('a rejection that is not a TtsError becomes tts_chunk_failed; a synchronous throw too', async (t) => {
  const { synth, pipeline, rec } = setup();
  feed(pipeline, 1);
  synth.call('chunk 0').reject(new Error('plain'));
  await flush();
  t.equal(rec.errors[0]!.error.code, 'tts_chunk_failed');
  const throwing: Synthesizer = {
    synthesize() {
      throw new Error('sync');
    },
  };
  const p = new TurnPipeline('t2', { synth: throwing, owner: 'o', voice: 'v', speed: 1, maxInFlight: 1, drainSafetyMs: 1000 });
  const codes: string[] = [];
  p.on('error', (f: ChunkFailure) => codes.push(f.error.code));
  p.processChunk('x');
  const s = await p.finish();
  t.same(codes, ['tts_chunk_failed']);
  t.equal(s.failed, 1);
});

t.test('a failed chunk is skipped: 0 and 2 delivered, the next goes out at once', async (t) => {
  const { synth, pipeline, rec } = setup();
  feed(pipeline, 3);
  const done = pipeline.finish();
  synth.call('chunk 2').resolve();
  synth.call('chunk 0').resolve();
  await flush();
  t.same(rec.events, ['audio:0']);
  synth.call('chunk 1').reject(new TtsError('tts_chunk_failed', 'both providers failed'));
  const summary = await done;
  t.same(rec.events, ['audio:0', 'error:1:tts_chunk_failed', 'audio:2', 'done']);
  t.same([summary.chunks, summary.failed], [3, 1]);
  t.equal(pipeline.lastDeliveredIndex, 2);
});

t.test('all chunks failed: done says allFailed; the turn completes at once', async (t) => {
  const { synth, pipeline, rec } = setup();
  feed(pipeline, 3);
  const done = pipeline.finish();
  for (const c of synth.calls) c.reject(new TtsError('tts_chunk_failed', 'down'));
  const summary = await done;
  t.same(rec.events, ['error:0:tts_chunk_failed', 'error:1:tts_chunk_failed', 'error:2:tts_chunk_failed', 'all_failed', 'done']);
  t.same([summary.chunks, summary.failed, summary.firstAudioMs], [3, 3, null]);
});

t.test('a turn with no chunks is done, not failed', async (t) => {
  const { pipeline, rec } = setup();
  const summary = await pipeline.finish();
  t.same(rec.events, ['done']);
  t.same([summary.chunks, summary.failed, summary.ended], [0, 0, 'done']);
});

t.test('finish() resolves in the tick chain of the last completion, before the next macrotask', async (t) => {
  const { synth, pipeline } = setup();
  feed(pipeline, 2);
  synth.call('chunk 0').resolve();
  await flush();
  let resolved = false;
  void pipeline.finish().then(() => (resolved = true));
  synth.call('chunk 1').resolve();
  await Promise.resolve();
  await Promise.resolve();
  await Promise.resolve();
  t.equal(resolved, true, 'resolved within microtasks, no timer or poll involved');
  t.equal(pipeline.finish(), pipeline.finish(), 'finish() is idempotent');
});
