/**
 * The WebSocket faults of the reliability matrix (section B): oversize and invalid
 * frames, slow readers, dead peers, idle sessions, floods, disconnects, the connection
 * cap and auth.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { audioChunks, jsonFrames, startHost, WsClient } from '../helpers/gateway.ts';

function rawSocket(client: WsClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

t.test('a text frame over the payload limit closes the socket with 1009', async (t) => {
  const host = await startHost(t, { wsMaxPayloadBytes: 1024 });
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  client.send({ type: 'text', text: 'x'.repeat(1024) });
  t.equal((await client.closed).code, 1009);
  t.equal(host.pool.calls.length, 0);
});

t.test('a text frame that is not UTF-8 closes the socket with 1007', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  client.ws.send(Buffer.from([0xc3, 0x28]), { binary: false });
  t.equal((await client.closed).code, 1007);
});

t.test('a reader that stays over the hard limit past the grace is closed with 1008 and its work cancelled', async (t) => {
  const host = await startHost(
    t,
    { wsHighWaterBytes: 1024, wsHardLimitBytes: 2048, wsSlowReaderGraceMs: 200 },
    { samplesPerChar: 24000 },
  );
  const client = await WsClient.open(host.wsUrl);
  const ready = await client.json('ready');
  rawSocket(client).pause();
  const sentence = 'This sentence becomes about fifty seconds of audio. ';
  client.send({ type: 'speak', text: sentence.repeat(12) });
  const [owner] = (await once(host.pool, 'cancel_owner')) as [string];
  t.equal(owner, ready.session_id, "the session's queued work was cancelled");
  const dispatched = host.pool.calls.length;
  t.ok(dispatched < 12, `dispatch paused under backpressure (${dispatched} of 12 chunks dispatched)`);
  rawSocket(client).resume();
  const closed = await client.closed;
  t.same([closed.code, closed.reason], [1008, 'slow consumer']);
  await host.pool.idle();
});

t.test('a peer that stops answering pings is closed with 1001 after two missed pongs', async (t) => {
  const host = await startHost(t, { wsPingIntervalMs: 100 });
  const client = await WsClient.open(host.wsUrl, { autoPong: false });
  await client.json('ready');
  const closed = await client.closed;
  t.equal(closed.code, 1001);
});

t.test('a peer that answers pings stays open past several intervals', async (t) => {
  const host = await startHost(t, { wsPingIntervalMs: 100 });
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  let pings = 0;
  client.ws.on('ping', () => pings++);
  while (pings < 4) await once(client.ws, 'ping');
  t.equal(client.ws.readyState, client.ws.OPEN);
  client.close();
});

t.test('a session with no open turn and no message for the idle timeout is closed with 1000', async (t) => {
  const host = await startHost(t, { wsIdleTimeoutMs: 150 });
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  t.equal((await client.closed).code, 1000);
});

t.test('an open turn keeps the session from idling out; the idle clock starts when it ends', async (t) => {
  // The host's pings are its clock: five intervals after the speak outlast the idle timeout.
  const host = await startHost(t, { wsIdleTimeoutMs: 150, wsPingIntervalMs: 50 });
  const hold = host.pool.hold(() => true);
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  client.send({ type: 'speak', text: 'Waiting on the pool.' });
  await hold.reached;
  for (let pings = 0; pings < 5; pings++) await once(client.ws, 'ping');
  t.equal(client.ws.readyState, client.ws.OPEN, 'still open while the turn is open');
  hold.release();
  await client.json('tts_done');
  t.equal((await client.closed).code, 1000);
});

t.test('a message flood is closed with 1008', async (t) => {
  const host = await startHost(t, { wsMessagesPerSecond: 1, wsMessageBurst: 5 });
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  for (let i = 0; i < 50; i++) client.send({ type: 'cancel' });
  const closed = await client.closed;
  t.same([closed.code, closed.reason], [1008, 'rate limit exceeded']);
});

t.test('an LLM streaming 1-4 characters a message at 1,000 messages/s for 5 s keeps its socket and gets all its audio', async (t) => {
  // Default limits: 100 control messages/s (burst 200); text is charged by characters.
  const host = await startHost(t);
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  const text = Array.from({ length: 360 }, (_, i) => `Sentence ${i} has a few words in it. `).join('');
  const pieces: string[] = [];
  for (let at = 0, n = 0; at < text.length; n++) {
    const size = 1 + (n % 4);
    pieces.push(text.slice(at, at + size));
    at += size;
  }
  t.ok(pieces.length >= 5000, `${pieces.length} messages`);
  // Ten messages every 10 ms: 1,000 a second, for as long as the pieces last (about 5 s).
  for (let i = 0; i < pieces.length; i += 10) {
    for (const piece of pieces.slice(i, i + 10)) client.send({ type: 'text', text: piece, turn_id: 'llm' });
    await sleep(10);
  }
  client.send({ type: 'flush', turn_id: 'llm' });
  const frames = await client.until((d) => d.type === 'tts_done', 60_000);
  t.equal(client.ws.readyState, client.ws.OPEN, 'the socket is still open');
  const done = jsonFrames(frames).at(-1)!;
  t.match(done, { type: 'tts_done', turn_id: 'llm', failed: 0 });
  t.equal(audioChunks(frames).length, done.chunks, 'one audio chunk per phrase');
  const spoken = host.pool.calls.map((c) => c.text).join(' ');
  t.equal(spoken.replace(/\s+/g, ' ').trim(), text.replace(/\s+/g, ' ').trim(), 'every character reached synthesis, in order');
  client.close();
});

t.test('text charged by characters: a flood of text past the character budget is closed with 1008', async (t) => {
  const host = await startHost(t, { wsTextCharsPerSecond: 100, wsTextCharBurst: 200 });
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  for (let i = 0; i < 50; i++) client.send({ type: 'text', text: 'ten chars.', turn_id: 'flood' });
  const closed = await client.closed;
  t.same([closed.code, closed.reason], [1008, 'rate limit exceeded']);
});

t.test('an abrupt disconnect mid-turn cancels the turn and leaves nothing in the pool', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold((req) => req.text.startsWith('Second'));
  const client = await WsClient.open(host.wsUrl);
  const ready = await client.json('ready');
  client.send({ type: 'speak', text: 'First sentence goes out. Second sentence is stuck. Third one waits. Fourth one too. Fifth one as well. Sixth one here. Seventh one now. Eighth and last.' });
  await client.json('tts_meta');
  await hold.reached;
  client.ws.terminate();
  const [owner] = (await once(host.pool, 'cancel_owner')) as [string];
  t.equal(owner, ready.session_id);
  await host.pool.idle();
  t.equal(host.pool.inFlight, 0, 'pool in-flight back to 0 without releasing the stuck chunk');
  hold.release();
  t.ok(host.pool.calls.length < 8, 'chunks past the look-ahead were never dispatched');
});

t.test('the connection cap refuses the extra upgrade with 503 before the handshake', async (t) => {
  const host = await startHost(t, { maxConnections: 2 });
  const a = await WsClient.open(host.wsUrl);
  const b = await WsClient.open(host.wsUrl);
  await Promise.all([a.json('ready'), b.json('ready')]);
  const refused = await WsClient.open(host.wsUrl).then(
    () => null,
    (err: { statusCode?: number; body?: string }) => err,
  );
  t.equal(refused?.statusCode, 503);
  t.match(JSON.parse(refused?.body ?? '{}'), { error: { code: 'overloaded', type: 'server_error' } });
  a.send({ type: 'ping', id: 1 });
  t.match(await a.json('pong'), { id: 1 }, 'existing sessions are unaffected');

  const lifecycle = host.app.gateway.lifecycle;
  b.close();
  while (lifecycle.size > 1) await once(lifecycle, 'changed');
  const c = await WsClient.open(host.wsUrl);
  t.teardown(() => c.close());
  t.match(await c.json('ready'), { type: 'ready' }, 'a freed slot admits a new session');
  a.close();
});

t.test('with an API key, the upgrade needs it (header or api_key query) else 401', async (t) => {
  const host = await startHost(t, { apiKey: 'sekret' });
  const denied = await WsClient.open(host.wsUrl).then(
    () => null,
    (err: { statusCode?: number; body?: string }) => err,
  );
  t.equal(denied?.statusCode, 401);
  t.match(JSON.parse(denied?.body ?? '{}'), { error: { code: 'unauthorized', type: 'authentication_error' } });
  const wrong = await WsClient.open(`${host.wsUrl}?api_key=nope`).then(
    () => null,
    (err: { statusCode?: number }) => err,
  );
  t.equal(wrong?.statusCode, 401);
  const byHeader = await WsClient.open(host.wsUrl, { headers: { authorization: 'Bearer sekret' } });
  t.teardown(() => byHeader.close());
  t.match(await byHeader.json('ready'), { type: 'ready' });
  const byQuery = await WsClient.open(`${host.wsUrl}?api_key=sekret`);
  t.teardown(() => byQuery.close());
  t.match(await byQuery.json('ready'), { type: 'ready' });
});
