import t from 'tap';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { TtsError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { TurnPipeline, type ChunkAudio, type ChunkFailure, type TurnPipelineOptions, type TurnSummary } from '../../src/pipeline/turn-pipeline.ts';
import type { SynthesizeRequest, SynthesizedAudio, Synthesizer } from '../../src/synth/types.ts';

/** A Synthesizer whose calls the test settles by hand. */
class FakeSynth implements Synthesizer {
  readonly calls: { req: SynthesizeRequest; resolve(a?: Partial<SynthesizedAudio>): void; reject(e: unknown): void; aborted: boolean }[] = [];

  synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    return new Promise((resolve, reject) => {
      const call = {
        req,
        aborted: false,
        resolve: (a: Partial<SynthesizedAudio> = {}) =>
          resolve({ pcm: new Float32Array(2400), sampleRate: 24000, queueMs: 1, synthMs: 2, provider: 'local', ...a }),
        reject,
      };
      req.signal?.addEventListener('abort', () => (call.aborted = true), { once: true });
      this.calls.push(call);
    });
  }

  call(text: string) {
    const c = this.calls.find((x) => x.req.text === text);
    if (c === undefined) throw new Error(`no call for ${text}`);
    return c;
  }
}

interface Recorder {
  events: string[];
  audio: ChunkAudio[];
  errors: ChunkFailure[];
  done: TurnSummary[];
}

function setup(opts: Partial<TurnPipelineOptions> = {}, turnId = 'turn-1') {
  const synth = new FakeSynth();
  const pipeline = new TurnPipeline(turnId, { synth, owner: 'conn-1', voice: 'af_heart', speed: 1, maxInFlight: 8, drainSafetyMs: 60_000, ...opts });
  const rec: Recorder = { events: [], audio: [], errors: [], done: [] };
  pipeline.on('audio', (a: ChunkAudio) => {
    rec.events.push(`audio:${a.index}`);
    rec.audio.push(a);
  });
  pipeline.on('error', (f: ChunkFailure) => {
    rec.events.push(`error:${f.index}:${f.error.code}`);
    rec.errors.push(f);
  });
  pipeline.on('done', (s: TurnSummary) => {
    // The summary says whether every chunk failed; recorded as its own step before 'done'.
    if (s.allFailed) rec.events.push('all_failed');
    rec.events.push('done');
    rec.done.push(s);
  });
  pipeline.on('cancelled', (c: { lastIndex: number }) => rec.events.push(`cancelled:${c.lastIndex}`));
  return { synth, pipeline, rec };
}

/** Lets settled promises' callbacks run (microtasks and one macrotask). */
const flush = () => nextMacrotask();

function feed(pipeline: TurnPipeline, n: number) {
  for (let i = 0; i < n; i++) pipeline.processChunk(`chunk ${i}`);
}

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
