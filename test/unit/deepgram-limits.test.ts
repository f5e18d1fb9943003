/**
 * Faults on the Deepgram Speak socket: every bad message and refused input gets a
 * Warning with its code (both Deepgram field spellings) and changes nothing; fatal ends
 * send an Error frame before their close code; the native limits (rate, flow control,
 * keepalive, idle, connection cap, shutdown drain) apply to it too.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.ts';
import { TtsError } from '../../src/errors.ts';
import { createMetrics } from '../../src/metrics.ts';
import { SpeakClient, wsBase } from '../helpers/deepgram-client.ts';
import { FakePool } from '../helpers/fake-pool.ts';
import { gatewayConfig, startHost, WsClient } from '../helpers/gateway.ts';

function speakUrl(base: string, query = ''): string {
  return `${wsBase(base)}/v1/speak${query}`;
}

async function rawSession(t: Test, base: string, query = ''): Promise<{ client: WsClient; id: string }> {
  const client = await WsClient.open(speakUrl(base, query));
  t.teardown(() => client.close());
  const meta = await client.json('Metadata');
  return { client, id: meta.request_id as string };
}

t.test('malformed messages get a Warning bad_message, in both spellings, and change nothing', async (t) => {
  const host = await startHost(t);
  const { client } = await rawSession(t, host.base);
  const bad = ['not json', '[1]', '"Speak"', '{"type":"Nope"}', '{"type":"Speak","text":5}', '{"type":"Speak"}', '{"text":"no type"}'];
  for (const raw of bad) {
    client.send(raw);
    const w = await client.json('Warning');
    t.match(w, { code: 'bad_message', warn_code: 'bad_message', description: String }, raw);
    t.equal(w.warn_msg, w.description, `${raw}: warn_msg repeats description`);
  }
  client.ws.send(Buffer.from('{"type":"Speak","text":"binary"}'), { binary: true });
  t.match(await client.json('Warning'), { code: 'bad_message' }, 'a binary frame');
  t.equal(host.pool.calls.length, 0);
  client.send({ type: 'Speak', text: 'Still fine.', extra: 'ignored' });
  client.send({ type: 'Flush' });
  t.same(await client.json('Flushed'), { type: 'Flushed', sequence_id: 0 });
  t.same(host.pool.calls.map((c) => c.text), ['Still fine.']);
});

t.test('text over the per-Flush limit: Warning text_too_long, the Speak dropped', async (t) => {
  const host = await startHost(t, { maxTurnChars: 40 });
  const { client } = await rawSession(t, host.base);
  client.send({ type: 'Speak', text: 'Twenty characters.. ' });
  client.send({ type: 'Speak', text: 'And this pushes it over the limit.' });
  t.match(await client.json('Warning'), { code: 'text_too_long', warn_code: 'text_too_long' });
  client.send({ type: 'Flush' });
  await client.json('Flushed');
  t.same(host.pool.calls.map((c) => c.text), ['Twenty characters..'], 'the dropped Speak was never synthesized');
});

t.test('a full synthesis queue: Warning overloaded, the Speak dropped', async (t) => {
  const host = await startHost(t, { maxQueue: 4 });
  host.pool.setHealth({ queueDepth: 4 });
  const { client } = await rawSession(t, host.base);
  client.send({ type: 'Speak', text: 'Nothing is queued.' });
  t.match(await client.json('Warning'), { code: 'overloaded' });
  client.send({ type: 'Flush' });
  t.same(await client.json('Flushed'), { type: 'Flushed', sequence_id: 0 }, 'nothing pending: answered at once');
  t.equal(host.pool.calls.length, 0);
});

t.test('a failed chunk: Warning tts_chunk_failed, the rest plays, Flushed still comes', async (t) => {
  const host = await startHost(t, {}, { fail: (req) => (req.text.startsWith('Second') ? new TtsError('inference_error', 'boom') : undefined) });
  const client = await SpeakClient.open(t, wsBase(host.base));
  client.speak('First sentence plays. Second sentence fails. Third sentence plays.');
  client.flush();
  const messages = await client.until('Flushed');
  const warnings = messages.flatMap((m) => (m.kind === 'json' && m.data.type === 'Warning' ? [m.data] : []));
  t.match(warnings, [{ code: 'tts_chunk_failed', warn_code: 'tts_chunk_failed', description: String, warn_msg: String }]);
  t.equal(messages.filter((m) => m.kind === 'audio').length, 2, 'the other chunks play');

  host.pool.options.fail = () => new TtsError('inference_error', 'boom');
  client.speak('Nothing works now.');
  client.flush();
  const codes = (await client.until('Flushed')).flatMap((m) => (m.kind === 'json' && m.data.type === 'Warning' ? [m.data.code] : []));
  t.same(codes, ['tts_chunk_failed', 'tts_all_failed']);
});

t.test('a message flood: Error rate_limited, then close 1008', async (t) => {
  const host = await startHost(t, { wsMessagesPerSecond: 1, wsMessageBurst: 3 });
  const client = await SpeakClient.open(t, wsBase(host.base));
  for (let i = 0; i < 10; i++) client.flush();
  const error = await client.json('Error');
  t.match(error, { code: 'rate_limited', err_code: 'rate_limited', description: String, err_msg: String });
  t.equal((await client.closed).code, 1008);
});

t.test('messages after Close are ignored while the rest plays out', async (t) => {
  const host = await startHost(t);
  const client = await SpeakClient.open(t, wsBase(host.base));
  client.speak('Spoken before Close.');
  client.sendClose();
  client.speak('Sent after Close.');
  t.equal((await client.closed).code, 1000);
  t.same(host.pool.calls.map((c) => c.text), ['Spoken before Close.']);
});

t.test('a disconnect mid-turn cancels the session work in the pool', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold(() => true);
  const { client, id } = await rawSession(t, host.base);
  client.send({ type: 'Speak', text: 'One sentence here. Two sentences here. Three sentences here. Four.' });
  await hold.reached;
  const cancelled = once(host.pool, 'cancel_owner');
  client.ws.terminate();
  t.same(await cancelled, [id], "the session's owner id is cancelled in the pool");
  hold.release();
  await host.pool.idle();
});

t.test('the connection cap refuses the extra upgrade with 503 overloaded', async (t) => {
  const host = await startHost(t, { maxConnections: 1 });
  const first = await SpeakClient.open(t, wsBase(host.base));
  await first.json('Metadata');
  await t.rejects(SpeakClient.open(t, wsBase(host.base)), /503/);
  const refused = await WsClient.open(speakUrl(host.base)).then(
    () => null,
    (err: { statusCode?: number; body?: string }) => err,
  );
  t.equal(refused?.statusCode, 503);
  t.match(JSON.parse(refused?.body ?? '{}'), { error: { code: 'overloaded' } });
  first.sendClose();
  await first.closed;
  const next = await SpeakClient.open(t, wsBase(host.base));
  t.match(await next.json('Metadata'), { type: 'Metadata' }, 'a closed session gives its slot back');
});

t.test('the cap is host-wide: native and Deepgram sessions count against one KOKORO_MAX_CONNECTIONS', async (t) => {
  const host = await startHost(t, { maxConnections: 2 });
  const native = await WsClient.open(host.wsUrl);
  t.teardown(() => native.ws.terminate());
  await native.json('ready');
  const speak = await SpeakClient.open(t, wsBase(host.base));
  await speak.json('Metadata');
  await t.rejects(SpeakClient.open(t, wsBase(host.base)), /503/, 'a third Deepgram session is refused');
  await t.rejects(WsClient.open(host.wsUrl), /503/, 'and so is a third native one');
  t.match(await host.metrics.registry.getSingleMetricAsString('kokoro_ws_connections'), /protocol="v1"} 1[\s\S]*protocol="deepgram"} 1/);
  const lifecycle = host.app.gateway.lifecycle;
  native.close();
  while (lifecycle.size > 1) await once(lifecycle, 'changed');
  const next = await SpeakClient.open(t, wsBase(host.base));
  t.match(await next.json('Metadata'), { type: 'Metadata' }, "the native session's slot went to a Deepgram one");
});

t.test('a reader over the hard limit past the grace is closed with 1008 and its work cancelled', async (t) => {
  const host = await startHost(t, { wsHighWaterBytes: 1024, wsHardLimitBytes: 2048, wsSlowReaderGraceMs: 200 }, { samplesPerChar: 24000 });
  const { client, id } = await rawSession(t, host.base);
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  client.send({ type: 'Speak', text: 'This sentence becomes about fifty seconds of audio. '.repeat(12) });
  const [owner] = (await once(host.pool, 'cancel_owner')) as [string];
  t.equal(owner, id);
  t.ok(host.pool.calls.length < 12, `dispatch paused under backpressure (${host.pool.calls.length} of 12)`);
  socket.resume();
  const closed = await client.closed;
  t.same([closed.code, closed.reason], [1008, 'slow consumer']);
  await host.pool.idle();
});

t.test('a peer that stops answering pings is closed with 1001', async (t) => {
  const host = await startHost(t, { wsPingIntervalMs: 100 });
  const client = await WsClient.open(speakUrl(host.base), { autoPong: false });
  await client.json('Metadata');
  t.equal((await client.closed).code, 1001);
});

t.test('an idle session closes with 1000', async (t) => {
  const host = await startHost(t, { wsIdleTimeoutMs: 150 });
  const client = await SpeakClient.open(t, wsBase(host.base));
  const closed = await client.closed;
  t.same([closed.code, closed.reason], [1000, 'idle timeout']);
});

t.test('shutdown: a pending Flush is answered first, new text is refused, then Error shutting_down and 1001', async (t) => {
  const pool = new FakePool();
  const app = await buildApp(gatewayConfig({ shutdownGraceMs: 10_000 }), { pool, metrics: createMetrics(new Registry()) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const hold = pool.hold(() => true);
  const busy = await SpeakClient.open(t, wsBase(base));
  const idle = await SpeakClient.open(t, wsBase(base));
  busy.speak('Finishing this reply.');
  busy.flush();
  await hold.reached;

  const closing = app.close();
  await once(app.gateway.lifecycle, 'shutting_down');
  t.match(await idle.json('Error'), { code: 'shutting_down', err_code: 'shutting_down' });
  t.equal((await idle.closed).code, 1001, 'an idle session closes at once');
  await t.rejects(SpeakClient.open(t, wsBase(base)), /503/, 'no new sessions');

  busy.speak('A new reply.');
  t.match(await busy.json('Warning'), { code: 'shutting_down' }, 'no new text while draining');
  hold.release();
  const rest = await busy.until('Error');
  const types = rest.flatMap((m) => (m.kind === 'json' ? [m.data.type] : ['audio']));
  t.same(types.filter((x) => x !== 'audio'), ['Flushed', 'Error'], 'the audio, Flushed, then the Error');
  t.equal(types[0], 'audio');
  t.equal((await busy.closed).code, 1001);
  await closing;
  t.ok(pool.closed);
});
