/**
 * The pool on the synthetic model: synthesis, validation codes, the queue bound,
 * cancellation, start-up failure. Fault markers are in pool-faults.test.ts.
 */
import t from 'tap';
import { TtsError } from '../../src/errors.ts';
import { SynthPool } from '../../src/synth/pool.ts';
import { createMetrics } from '../../src/metrics.ts';
import { Registry } from 'prom-client';
import { hasAudio, memoryLogger, outcomes, poolConfig, startPool } from '../helpers/pool.ts';

t.test('synthesizes, deterministically, with timings', async (t) => {
  const { pool } = await startPool({ workers: 1 });
  t.teardown(() => pool.close());
  t.same(pool.health().reasons, [], 'ready once started');
  const a = await pool.synthesize({ text: 'Hello there, friend.', voice: 'af_heart', speed: 1, owner: 'x' });
  const b = await pool.synthesize({ text: 'Hello there, friend.', voice: 'af_heart', speed: 1, owner: 'y' });
  const c = await pool.synthesize({ text: 'Something else entirely.', voice: 'af_heart', speed: 1, owner: 'y' });
  t.equal(a.sampleRate, 24000);
  t.equal(a.provider, 'local');
  t.ok(a.pcm.length > 0);
  t.ok(a.tokens! > 5);
  t.same(Buffer.from(a.pcm.buffer, a.pcm.byteOffset, a.pcm.byteLength), Buffer.from(b.pcm.buffer, b.pcm.byteOffset, b.pcm.byteLength), 'same input, same samples');
  t.not(c.pcm.length, 0);
  t.ok(a.queueMs >= 0 && a.synthMs > 0);
  const fast = await pool.synthesize({ text: 'Hello there, friend.', voice: 'af_heart', speed: 2, owner: 'x' });
  t.ok(fast.pcm.length < a.pcm.length, 'speed 2 is shorter');
  const mix = await pool.synthesize({ text: 'Hello there, friend.', voice: 'af_bella(2)+af_sky(1)', speed: 1, owner: 'x' });
  t.equal(mix.pcm.length, a.pcm.length, 'a mix changes the voice, not the length');
  t.not(Buffer.compare(Buffer.from(mix.pcm.buffer), Buffer.from(a.pcm.buffer)), 0, 'a mix sounds different');
});

t.test('bad input is refused with its code and never reaches a worker', async (t) => {
  const { pool, metrics } = await startPool({ workers: 1 });
  t.teardown(() => pool.close());
  const base = { voice: 'af_heart', speed: 1, owner: 'x', text: 'Hi.' };
  const codes = await outcomes([
    pool.synthesize({ ...base, voice: 'nope' }),
    pool.synthesize({ ...base, voice: '../../etc/passwd' }),
    pool.synthesize({ ...base, voice: '' }),
    pool.synthesize({ ...base, voice: 'af_bella+' }),
    pool.synthesize({ ...base, voice: 'af_bella(0)+af_sky' }),
    pool.synthesize({ ...base, voice: 'af_bella(x)' }),
    pool.synthesize({ ...base, speed: Number.NaN }),
    pool.synthesize({ ...base, speed: 0 }),
    pool.synthesize({ ...base, speed: 9 }),
    pool.synthesize({ ...base, text: '   ' }),
    pool.synthesize({ ...base, lang: 'klingon' as never }),
  ]);
  t.same(codes, [
    'invalid_voice', 'invalid_voice', 'invalid_voice', 'invalid_voice', 'invalid_voice', 'invalid_voice',
    'invalid_speed', 'invalid_speed', 'invalid_speed', 'empty_text', 'invalid_lang',
  ]);
  t.equal((await metrics.queueWait.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value, 0, 'no task was dispatched');
});

t.test('over-long text is split, never truncated', async (t) => {
  const { pool } = await startPool({ workers: 1 });
  t.teardown(() => pool.close());
  const long = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
  const whole = await pool.synthesize({ text: long, voice: 'af_heart', speed: 1, owner: 'x' });
  t.ok(whole.tokens! > 510, `all ${whole.tokens} tokens were spoken`);
});

t.test('the queue bound refuses with overloaded and loses nothing accepted', async (t) => {
  const { pool } = await startPool({ workers: 1, maxQueue: 3 });
  t.teardown(() => pool.close());
  const req = (i: number) => pool.synthesize({ text: `[[slow:200]] Chunk number ${i}.`, voice: 'af_heart', speed: 1, owner: `o${i % 2}` });
  const all = await outcomes(Array.from({ length: 6 }, (_, i) => req(i)));
  const refused = all.filter((o) => o === 'overloaded').length;
  const delivered = all.filter(hasAudio).length;
  t.equal(refused, 2, 'one running + three queued; the rest refused at once');
  t.equal(delivered, 4, 'every accepted chunk was delivered');
});

t.test('cancel drops queued work and never terminates a worker', async (t) => {
  const { pool, metrics } = await startPool({ workers: 1 });
  t.teardown(() => pool.close());
  const running = pool.synthesize({ text: '[[slow:300]] First.', voice: 'af_heart', speed: 1, owner: 'a' });
  const ctl = new AbortController();
  const queued = pool.synthesize({ text: 'Second.', voice: 'af_heart', speed: 1, owner: 'a', signal: ctl.signal });
  const third = pool.synthesize({ text: 'Third.', voice: 'af_heart', speed: 1, owner: 'a' });
  t.equal(pool.health().queueDepth, 2);
  ctl.abort();
  t.equal(pool.health().queueDepth, 1, 'the aborted chunk left the queue at once');
  t.equal(pool.cancelOwner('a'), 1);
  const [r, q, th] = await outcomes([running, queued, third]);
  t.ok(hasAudio(r), 'the running chunk finished with audio');
  t.equal(q, 'cancelled');
  t.equal(th, 'cancelled');
  t.equal(pool.health().inFlight, 0);
  t.equal((await metrics.respawns.get()).values.length, 0, 'no worker was replaced');
});

t.test('a missing model is a start-up error with the reason', async (t) => {
  const config = poolConfig({ modelPath: '/nonexistent/model.onnx', workers: 1 });
  const pool = new SynthPool(config, createMetrics(new Registry()), memoryLogger());
  const err = await pool.start().then(() => null, (e: unknown) => e);
  t.type(err, TtsError);
  t.equal((err as TtsError).code, 'model_load_failed');
  t.match((err as TtsError).message, /nonexistent/);
  t.ok(pool.health().reasons.includes('model_load_failed'));
  t.equal(await pool.synthesize({ text: 'Hi.', voice: 'af_heart', speed: 1, owner: 'x' }).catch((e: TtsError) => e.code), 'unavailable');
  await pool.close();
});

t.test('a file that is not a model is a start-up error', async (t) => {
  const config = poolConfig({ modelPath: new URL('../../package.json', import.meta.url).pathname, workers: 1 });
  const pool = new SynthPool(config, createMetrics(new Registry()), memoryLogger());
  const err = (await pool.start().catch((e: unknown) => e)) as TtsError;
  t.equal(err.code, 'model_load_failed');
  await pool.close();
});

t.test("scheduling: a turn's first chunk queued behind another turn's look-ahead chunks is dispatched first", async (t) => {
  // A slack far above this test's run time: only the lanes decide the order here (fair-queue.test.ts has the slack).
  const { pool } = await startPool({ workers: 1, lookaheadSlackMs: 60_000 });
  t.teardown(() => pool.close());
  const finished: string[] = [];
  const say = (name: string, text: string, owner: string, urgent: boolean) =>
    pool.synthesize({ text, voice: 'af_heart', speed: 1, owner, urgent }).then((out) => {
      finished.push(name);
      return out;
    });
  const all = [
    say('A0', '[[slow:300]] Turn A starts.', 'turnA', true),
    say('A1', 'Turn A looks ahead once.', 'turnA', false),
    say('A2', 'Turn A looks ahead twice.', 'turnA', false),
  ];
  all.push(say('B0', 'Turn B starts.', 'turnB', true));
  t.ok((await outcomes(all)).every(hasAudio));
  t.same(finished, ['A0', 'B0', 'A1', 'A2'], "B's first chunk went before A's look-ahead");
});

t.test('measures what a chunk costs: one worker calibrates at start, every chunk refines it', async (t) => {
  const { pool, log } = await startPool({ workers: 2 });
  t.teardown(() => pool.close());
  const calibrated = log.lines.filter((l) => l.msg === 'chunk cost calibrated');
  t.equal(calibrated.length, 1, 'one calibration for the two workers');
  const start = pool.costCurve();
  t.ok(start !== null, 'a curve as soon as the pool is ready');
  t.ok(start!.msPerToken > 0 && start!.speechMsPerToken > 0, `slope ${start!.msPerToken} ms, speech ${start!.speechMsPerToken} ms per token`);
  t.ok(start!.computeMs(200) > start!.computeMs(20), 'a longer chunk costs more');
  // The synthetic model's audio grows with the ids (models/README.md): the curve follows the real samples.
  const a = await pool.synthesize({ text: 'A longer sentence, with a few more words in it than before.', voice: 'af_heart', speed: 1, owner: 'x' });
  t.ok(a.pcm.length > 0);
  t.not(pool.costCurve()!.speechMsPerToken, start!.speechMsPerToken, 'a chunk moves the speech estimate');
  const busy = pool.health().utilization;
  t.ok(busy > 0 && busy <= 1, `the chunk shows in the recent busy share (${busy.toFixed(4)})`);
});
