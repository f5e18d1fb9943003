/**
 * Word timing end to end on the synthetic model (which outputs `durations`, one frame a token):
 * the worker times every word from the model's durations, the sum rule holds, and the native
 * socket over a real pool says `timestamps: true` and carries the words. A model that gives no
 * durations leaves the host synthesizing, untimed, and saying so.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import t from 'tap';
import type { SynthResult, WorkerEvent, WorkerInit } from '../../src/shared/protocol.ts';
import { preparedFileName } from '../../workers/kokoro/durations-model.ts';
import { phonemize } from '../../workers/kokoro/phonemize.ts';
import { openSession } from '../../workers/kokoro/session.ts';
import { phonemesToIds } from '../../workers/kokoro/tokenizer.ts';
import { syntheticModel } from '../../models/synthetic/generate.ts';
import { audioChunks, startHostWith, startRealPoolHost, WsClient } from '../helpers/gateway.ts';
import { startPool, SYNTHETIC_MODEL } from '../helpers/pool.ts';

const WORKER = new URL('../../workers/synth.worker.ts', import.meta.url).pathname;

t.test('the worker reports it can time, and times every word from the durations', async (t) => {
  const init: WorkerInit = { modelPath: SYNTHETIC_MODEL, intraOpThreads: 1, enableCpuMemArena: false, faultInjection: false };
  const piscina = new Piscina({ filename: WORKER, minThreads: 1, maxThreads: 1, workerData: init });
  t.teardown(() => piscina.destroy());
  const loaded = new Promise<WorkerEvent>((resolve) => piscina.on('message', (e: WorkerEvent) => e.type !== 'started' && resolve(e)));
  const text = 'Numbers like 1999 and $5.50, said Dr. Jones.';
  for (const speed of [1, 1.5]) {
    const r = (await piscina.run({ taskId: 1, text, voice: 'af_heart', speed, words: true })) as SynthResult;
    if (!r.ok) throw new Error(r.message);
    const unasked = (await piscina.run({ taskId: 2, text, voice: 'af_heart', speed })) as SynthResult;
    if (!unasked.ok) throw new Error(unasked.message);
    t.equal(unasked.words, undefined, `speed ${speed}: a task that did not ask for word times gets none (no words located)`);
    t.equal(unasked.samples, r.samples, `speed ${speed}: and the same audio`);
    const tokens = phonemesToIds(await phonemize(text, 'af_heart')).length;
    const perFrame = Math.floor(600 / speed);
    t.equal(r.samples, (tokens + 2) * perFrame, `speed ${speed}: sum(durations) * samples-per-frame == samples`);
    t.same(r.words!.map((w) => w.word), ['Numbers', 'like', '1999', 'and', '$5.50', 'said', 'Dr', 'Jones']);
    const ms = (r.samples / r.sampleRate) * 1000;
    let last = 0;
    for (const w of r.words!) {
      t.ok(w.startMs >= last && w.startMs <= w.endMs && w.endMs <= ms, `${w.word}: ${w.startMs}..${w.endMs} in order, inside ${ms}`);
      t.equal(text.slice(w.charStart, w.charEnd), w.word);
      last = w.endMs;
    }
    t.ok(r.words![0]!.startMs >= (perFrame * 1000) / 24000, 'the first word starts after the leading pad frame');
  }
  t.match(await loaded, { type: 'loaded', timing: { ok: true, output: 'durations', prepared: false } });
});

t.test('ws-v1 over a real pool: ready.timestamps true, words in every tts_meta', async (t) => {
  const host = await startRealPoolHost(t);
  const client = await WsClient.open(`${host.wsUrl}?timestamps=1`);
  t.teardown(() => client.close());
  t.match(await client.json('ready'), { timestamps: true });
  const text = 'The first sentence is here. And a second one follows it.';
  client.send({ type: 'speak', text, turn_id: 't' });
  const chunks = audioChunks(await client.until((d) => d.type === 'tts_done'));
  const words = chunks.flatMap((c) => (c.meta.words as { word: string; start_ms: number; end_ms: number }[]).map((w) => ({ ...w, chunkMs: ((c.meta.samples as number) / 24000) * 1000 })));
  t.equal(words.map((w) => w.word).join(' '), text.replace(/[.]/g, ''), 'every word once, in order, punctuation not a word');
  for (const w of words) t.ok(0 <= w.start_ms && w.start_ms <= w.end_ms && w.end_ms <= w.chunkMs, `${w.word} inside its chunk`);
});

t.test('a model without durations or a duration predictor: a coded warning, synthesis untimed, ready.timestamps false', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'untimed-model-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const modelPath = join(dir, 'kokoro-untimed.onnx');
  writeFileSync(modelPath, syntheticModel({ durations: false }));
  const { pool, log } = await startPool({ modelPath, modelCacheDir: join(dir, 'cache'), workers: 1, faultInjection: false });
  t.teardown(() => pool.close());
  t.equal(pool.timesWords, false);
  const warning = log.lines.find((l) => l.level === 'warn' && (l.obj as { code?: string }).code === 'word_timing_unavailable');
  t.match(warning?.obj, { reason: 'duration_tensor_not_found' }, 'logged once, with its reason');
  const audio = await pool.synthesize({ text: 'Still spoken.', voice: 'af_heart', speed: 1, owner: 'o' });
  t.ok(audio.pcm.length > 0, 'synthesis goes on');
  t.equal(audio.words, undefined, 'untimed, not "no words"');
  t.same(readdirSync(dir), ['kokoro-untimed.onnx'], 'nothing prepared');
  const host = await startHostWith(t, pool);
  const client = await WsClient.open(host.wsUrl);
  t.teardown(() => client.close());
  t.match(await client.json('ready'), { timestamps: false });
});

t.test('KOKORO_WORD_TIMING=0: a model with durations is not timed, and ready says so', async (t) => {
  const { pool, log } = await startPool({ wordTiming: false, workers: 1, faultInjection: false });
  t.teardown(() => pool.close());
  t.equal(pool.timesWords, false);
  t.ok(log.lines.some((l) => l.msg.includes('word timing off')), 'logged as a choice, not a warning');
  t.notOk(log.lines.some((l) => (l.obj as { code?: string }).code === 'word_timing_unavailable'));
  const audio = await pool.synthesize({ text: 'Not timed.', voice: 'af_heart', speed: 1, owner: 'o' });
  t.equal(audio.words, undefined);
});

t.test('a prepared copy that will not load: prepared_model_failed, and the original model serves untimed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'broken-prepared-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const modelPath = join(dir, 'kokoro-untimed.onnx');
  writeFileSync(modelPath, syntheticModel({ durations: false }));
  writeFileSync(join(dir, preparedFileName(modelPath)), 'not a model');
  const session = await openSession(modelPath, { intraOpThreads: 1, enableCpuMemArena: false, durationsCacheDir: join(dir, 'cache') });
  t.teardown(() => session.release());
  t.match(session.timing, { ok: false, reason: 'prepared_model_failed' });
  const out = await session.run(new BigInt64Array([0n, 5n, 0n]), new Float32Array(256), 1);
  t.equal(out.audio.length, 3 * 600, 'the original answers');
  t.equal(out.durations, undefined);
});
