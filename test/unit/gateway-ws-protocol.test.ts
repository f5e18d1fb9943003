/**
 * ws-v1.md, message by message and error code by error code, against a started host
 * over the fake pool.
 */
import t, { type Test } from 'tap';
import { TtsError } from '../../src/errors.ts';
import { floatToS16le } from '../../src/common/audio.ts';
import { fakePcm } from '../helpers/fake-pool.ts';
import { audioChunks, jsonFrames, startHost, WsClient } from '../helpers/gateway.ts';

async function session(t: Test, url: string): Promise<{ client: WsClient; ready: Record<string, unknown> }> {
  const client = await WsClient.open(url);
  t.teardown(() => client.close());
  const ready = await client.json('ready');
  return { client, ready };
}


t.test('lang (extension): from the query, config and speak, down to every synthesis request', async (t) => {
  const host = await startHost(t);
  const { client } = await session(t, `${host.wsUrl}?lang=e`);
  client.send({ type: 'speak', text: 'Hola.', voice: 'ef_dora', turn_id: 'q' });
  await client.json('tts_done');
  client.send({ type: 'speak', text: 'こんにちは。', voice: 'jf_alpha', lang: 'ja-JP', turn_id: 's' });
  await client.json('tts_done');
  client.send({ type: 'config', lang: 'z' });
  client.send({ type: 'speak', text: '你好。', voice: 'af_heart+zf_xiaobei', turn_id: 'c' });
  await client.json('tts_done');
  t.same(host.pool.calls.map((c) => [c.text, c.voice, c.lang]), [
    ['Hola.', 'ef_dora', 'es'],
    ['こんにちは。', 'jf_alpha', 'ja'],
    ['你好。', 'af_heart+zf_xiaobei', 'zh'],
  ]);
});

t.test('without lang no language is sent: the worker reads each chunk in its first voice\'s language', async (t) => {
  const host = await startHost(t);
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'speak', text: 'Ciao.', voice: 'if_sara', turn_id: 'a' });
  await client.json('tts_done');
  t.same(host.pool.calls.map((c) => [c.voice, c.lang]), [['if_sara', undefined]]);
});

t.test('ready comes first and describes the session', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(`${host.wsUrl}?voice=am_adam&speed=1.5&format=f32le`);
  t.teardown(() => client.close());
  const first = await client.next();
  t.equal(first.kind, 'json');
  const ready = (first as { data: Record<string, unknown> }).data;
  t.match(ready, { type: 'ready', sample_rate: 24000, format: 'f32le', voice: 'am_adam', protocol: 1 });
  t.type(ready.session_id, 'string');
});

t.test('invalid query defaults: the upgrade succeeds, ready shows the defaults in effect, one error per bad field', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(`${host.wsUrl}?voice=nobody&speed=9&format=wav`);
  t.teardown(() => client.close());
  const ready = await client.json('ready');
  t.match(ready, { voice: 'af_heart', format: 'pcm_s16le', speed: 1 });
  const codes = [await client.json('error'), await client.json('error'), await client.json('error')].map((e) => [e.code, e.recoverable]);
  t.same(codes, [['invalid_voice', true], ['invalid_speed', true], ['invalid_format', true]]);
});

t.test('speak: tts_meta then binary per chunk, in index order, then tts_done with the counts', async (t) => {
  const host = await startHost(t);
  const { client } = await session(t, host.wsUrl);
  const text = 'Hello there, this is the first sentence of the turn. And here is a second one. A third follows.';
  client.send({ type: 'speak', text, turn_id: 'a' });
  const frames = await client.until((d) => d.type === 'tts_done');
  const chunks = audioChunks(frames);
  t.ok(chunks.length >= 2, `several chunks (${chunks.length})`);
  t.same(chunks.map((c) => c.meta.index), chunks.map((_, i) => i), 'indexes 0..n-1 in order');
  t.equal(chunks.map((c) => c.meta.text).join(' '), text, 'every word is spoken once, in order');
  for (const c of chunks) {
    t.match(c.meta, { type: 'tts_meta', turn_id: 'a', sample_rate: 24000, format: 'pcm_s16le' });
    t.equal(c.pcm.length, (c.meta.samples as number) * 2, 'binary length matches samples (s16le)');
    t.same(c.pcm, floatToS16le(fakePcm(c.meta.text as string, 'af_heart', 1)), 'the audio is the pool audio of that phrase');
    t.type(c.meta.synth_ms, 'number');
    t.type(c.meta.queue_ms, 'number');
  }
  const done = jsonFrames(frames).at(-1)!;
  const samples = chunks.reduce((n, c) => n + (c.meta.samples as number), 0);
  t.match(done, { type: 'tts_done', turn_id: 'a', chunks: chunks.length, failed: 0, audio_ms: Math.round((samples / 24000) * 1000) });
  t.type(done.first_audio_ms, 'number');
});

t.test('text is synthesized before flush; flush ends the turn', async (t) => {
  const host = await startHost(t);
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'text', text: 'The first sentence is complete. The second is not' });
  const meta = await client.json('tts_meta');
  t.match(meta, { index: 0, turn_id: 'turn-1' }, 'a turn without turn_id gets a generated id');
  t.equal(host.pool.calls.length, 1, 'only the complete phrase was dispatched');
  client.send({ type: 'text', text: ' yet, but now it is.' });
  client.send({ type: 'flush' });
  const frames = await client.until((d) => d.type === 'tts_done');
  t.equal(jsonFrames(frames).at(-1)!.chunks, 2);
  t.equal(audioChunks(frames)[0]!.meta.text, 'The second is not yet, but now it is.');
});

t.test('config changes the defaults for later chunks; speak overrides apply to its own chunks', async (t) => {
  const host = await startHost(t);
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'config', voice: 'bf_emma', speed: 2, format: 'f32le' });
  client.send({ type: 'speak', text: 'Short one.', turn_id: 'x' });
  const [chunk] = audioChunks(await client.until((d) => d.type === 'tts_done'));
  t.equal(chunk!.meta.format, 'f32le');
  t.equal(chunk!.pcm.length, (chunk!.meta.samples as number) * 4, 'f32le: four bytes a sample');
  const pcm = fakePcm('Short one.', 'bf_emma', 2);
  t.same(chunk!.pcm, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  client.send({ type: 'speak', text: 'Another.', voice: 'am_adam', speed: 0.5 });
  await client.until((d) => d.type === 'tts_done');
  t.match(host.pool.calls.at(-1), { voice: 'am_adam', speed: 0.5 });
  client.send({ type: 'speak', text: 'Back to defaults.' });
  await client.until((d) => d.type === 'tts_done');
  t.match(host.pool.calls.at(-1), { voice: 'bf_emma', speed: 2 });
});

t.test('config mid-turn applies to the chunks not yet dispatched, not to those already running', async (t) => {
  const host = await startHost(t, { maxInFlightPerTurn: 2 });
  const hold = host.pool.hold((req) => req.text.startsWith('One'));
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'speak', text: 'One sentence first. Two sentences now. Three sentences here. Four sentences end.', turn_id: 'm' });
  await hold.reached;
  client.send({ type: 'config', voice: 'am_adam', format: 'f32le' });
  client.send({ type: 'ping' });
  await client.json('pong');
  hold.release();
  const chunks = audioChunks(await client.until((d) => d.type === 'tts_done'));
  t.same(
    chunks.map((c) => c.meta.format),
    ['pcm_s16le', 'pcm_s16le', 'f32le', 'f32le'],
  );
  t.same(
    host.pool.calls.map((c) => c.voice),
    ['af_heart', 'af_heart', 'am_adam', 'am_adam'],
  );
});

t.test('ping gets a pong with the same id', async (t) => {
  const host = await startHost(t);
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'ping', id: 'abc' });
  t.same(await client.json('pong'), { type: 'pong', id: 'abc' });
  client.send({ type: 'ping', id: 42 });
  t.same(await client.json('pong'), { type: 'pong', id: 42 });
  client.send({ type: 'ping' });
  t.same(await client.json('pong'), { type: 'pong' });
});

t.test('recoverable errors change nothing: no turn opened, nothing queued, the session goes on', async (t) => {
  const host = await startHost(t, { maxTurnChars: 40 });
  const { client } = await session(t, host.wsUrl);
  const cases: Array<[unknown, string]> = [
    ['{"type":"text",', 'bad_message'],
    [{ type: 'unknown' }, 'bad_message'],
    [{ type: 'text', text: 1 }, 'bad_message'],
    [{ type: 'speak', text: 'Hello.', voice: 'nope' }, 'invalid_voice'],
    [{ type: 'speak', text: 'Hello.', speed: 3 }, 'invalid_speed'],
    [{ type: 'config', format: 'opus' }, 'invalid_format'],
    // Codes outside ws-v1's table go out as its bad_message, the host's code in `reason`.
    [{ type: 'speak', text: 'Hello.', lang: 'nope' }, 'bad_message:invalid_lang'],
    [{ type: 'config', lang: 'de-DE' }, 'bad_message:invalid_lang'],
    [{ type: 'text', text: 'x'.repeat(41), turn_id: 'big' }, 'text_too_long'],
  ];
  for (const [message, code] of cases) {
    client.send(message);
    const [wire, reason] = code.split(':');
    t.match(await client.json('error'), { code: wire, recoverable: true, ...(reason !== undefined ? { reason } : {}) }, code);
  }
  client.ws.send(Buffer.from([1, 2, 3]));
  t.match(await client.json('error'), { code: 'bad_message', recoverable: true }, 'a binary frame');
  t.equal(host.pool.calls.length, 0, 'nothing reached the pool');

  client.send({ type: 'text', text: 'x'.repeat(30), turn_id: 't' });
  client.send({ type: 'text', text: 'y'.repeat(11), turn_id: 't' });
  t.match(await client.json('error'), { code: 'text_too_long', turn_id: 't' }, 'the per-turn limit counts the whole turn');
  client.send({ type: 'flush', turn_id: 't' });
  const done = await client.json('tts_done');
  t.match(done, { turn_id: 't', failed: 0 });
  t.equal(host.pool.calls.map((c) => c.text).join(''), 'x'.repeat(30), 'the rejected text was not queued');
  client.send({ type: 'speak', text: 'Still usable.', turn_id: 'big' });
  t.match(await client.json('tts_done'), { turn_id: 'big', chunks: 1 }, 'the rejected turn_id was never opened');
});

t.test('text for a flushed turn is bad_message; text for a cancelled turn is dropped', async (t) => {
  const host = await startHost(t);
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'speak', text: 'Done turn.', turn_id: 'd' });
  await client.json('tts_done');
  client.send({ type: 'text', text: 'More?', turn_id: 'd' });
  t.match(await client.json('error'), { code: 'bad_message', turn_id: 'd' });
  client.send({ type: 'cancel', turn_id: 'd' });
  t.same(await client.json('cancelled'), { type: 'cancelled', turn_id: 'd', last_index: 0 }, 'cancel of a finished turn is acknowledged');
  client.send({ type: 'cancel', turn_id: 'never' });
  t.same(await client.json('cancelled'), { type: 'cancelled', turn_id: 'never', last_index: -1 });
  client.send({ type: 'speak', text: 'Late words.', turn_id: 'never' });
  client.send({ type: 'ping', id: 1 });
  const frames = await client.until((d) => d.type === 'pong');
  t.same(jsonFrames(frames).map((f) => f.type), ['pong'], 'late text for a cancelled turn is dropped silently');
  t.equal(host.pool.calls.length, 1);
});

t.test('flush of an unseen turn_id answers tts_done with zero chunks', async (t) => {
  const host = await startHost(t);
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'flush', turn_id: 'empty' });
  t.same(await client.json('tts_done'), { type: 'tts_done', turn_id: 'empty', chunks: 0, failed: 0, audio_ms: 0, first_audio_ms: null });
});

t.test('cancel mid-turn: cancelled with last_index, and no audio of that turn after it', async (t) => {
  const host = await startHost(t, {}, { delayMs: 5 });
  const hold = host.pool.hold((req) => req.text.startsWith('Third'));
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'speak', text: 'First sentence here. Second sentence here. Third sentence here. Fourth one.', turn_id: 'c' });
  await hold.reached;
  const before = await client.until((d) => d.type === 'tts_meta' && d.index === 1);
  await client.next((f) => f.kind === 'binary');
  client.send({ type: 'cancel', turn_id: 'c' });
  const cancelled = await client.json('cancelled');
  t.same(cancelled, { type: 'cancelled', turn_id: 'c', last_index: 1 });
  hold.release();
  await host.pool.idle();
  client.send({ type: 'ping', id: 'after' });
  const after = await client.until((d) => d.type === 'pong');
  t.same(jsonFrames(after).map((f) => f.type), ['pong'], 'nothing of the turn follows cancelled');
  t.same(jsonFrames(before).filter((f) => f.type === 'tts_meta').map((f) => f.index), [0, 1], 'chunks 0 and 1 went out before the cancel');
});

t.test('cancel without turn_id cancels every open turn', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold(() => true);
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'speak', text: 'One.', turn_id: 'p' });
  client.send({ type: 'speak', text: 'Two.', turn_id: 'q' });
  await hold.reached;
  client.send({ type: 'cancel' });
  t.same([await client.json('cancelled'), await client.json('cancelled')], [
    { type: 'cancelled', turn_id: 'p', last_index: -1 },
    { type: 'cancelled', turn_id: 'q', last_index: -1 },
  ]);
  hold.release();
  await host.pool.idle();
});

t.test('a later turn synthesizes early but is delivered after the earlier turn ends', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold((req) => req.text === 'Slow first turn.');
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'speak', text: 'Slow first turn.', turn_id: 'one' });
  client.send({ type: 'speak', text: 'Fast second turn.', turn_id: 'two' });
  await hold.reached;
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(host.pool.calls.some((c) => c.text === 'Fast second turn.'), 'the second turn was dispatched while the first waited');
  hold.release();
  const frames = await client.until((d) => d.type === 'tts_done' && d.turn_id === 'two');
  t.same(
    jsonFrames(frames).map((f) => `${f.type}:${f.turn_id}`),
    ['tts_meta:one', 'tts_done:one', 'tts_meta:two', 'tts_done:two'],
  );
});

t.test('a failed chunk is skipped with tts_chunk_failed / tts_chunk_timeout and the turn goes on', async (t) => {
  const host = await startHost(t, {}, {
    fail: (req) =>
      req.text.startsWith('Broken') ? new TtsError('tts_chunk_failed', 'boom') : req.text.startsWith('Stuck') ? new TtsError('tts_chunk_timeout', 'late') : req.text.startsWith('Busy') ? new TtsError('overloaded', 'full') : undefined,
  });
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'speak', text: 'Fine first sentence. Broken second sentence. Stuck third sentence. Busy fourth sentence. Fine fifth sentence.', turn_id: 'f' });
  const frames = jsonFrames(await client.until((d) => d.type === 'tts_done'));
  const errors = frames.filter((f) => f.type === 'error');
  t.same(errors.map((e) => [e.code, e.index, e.recoverable, e.turn_id]), [
    ['tts_chunk_failed', 1, true, 'f'],
    ['tts_chunk_timeout', 2, true, 'f'],
    ['tts_chunk_failed', 3, true, 'f'],
  ]);
  t.same(frames.filter((f) => f.type === 'tts_meta').map((f) => f.index), [0, 4]);
  t.match(frames.at(-1), { type: 'tts_done', chunks: 5, failed: 3 });
});

t.test('every chunk failing: tts_all_failed, then tts_done with failed == chunks; the session stays usable', async (t) => {
  let failing = true;
  const host = await startHost(t, {}, { fail: () => (failing ? new TtsError('tts_chunk_failed', 'boom') : undefined) });
  const { client } = await session(t, host.wsUrl);
  client.send({ type: 'speak', text: 'One sentence. Two sentences.', turn_id: 'z' });
  const frames = jsonFrames(await client.until((d) => d.type === 'tts_done'));
  t.same(frames.map((f) => f.code ?? f.type), ['tts_chunk_failed', 'tts_chunk_failed', 'tts_all_failed', 'tts_done']);
  t.match(frames.at(-2), { recoverable: true, turn_id: 'z' });
  t.match(frames.at(-1), { chunks: 2, failed: 2, audio_ms: 0, first_audio_ms: null });
  failing = false;
  client.send({ type: 'speak', text: 'Works now.' });
  t.match(await client.json('tts_done'), { failed: 0, chunks: 1 });
});

t.test('a full pool queue rejects the text message with overloaded and queues nothing', async (t) => {
  const host = await startHost(t, { maxQueue: 4 });
  const { client } = await session(t, host.wsUrl);
  host.pool.setHealth({ queueDepth: 4 });
  client.send({ type: 'speak', text: 'Too busy.', turn_id: 'o' });
  t.match(await client.json('error'), { code: 'overloaded', recoverable: true, turn_id: 'o' });
  t.equal(host.pool.calls.length, 0);
  host.pool.setHealth({ queueDepth: 0 });
  client.send({ type: 'speak', text: 'Fine now.', turn_id: 'o' });
  t.match(await client.json('tts_done'), { turn_id: 'o', chunks: 1 }, 'the rejected message opened no turn');
});
