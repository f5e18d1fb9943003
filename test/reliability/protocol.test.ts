/**
 * Reliability matrix section B (gateway, protocol and client faults) against the real host
 * as a child process: one host for the whole file (test/helpers/reliability-host.ts: an API
 * key, a short ping interval, small limits). Protocol-level faults use raw `net` sockets and
 * hand-built frames (test/helpers/raw-ws.ts): a well-behaved client library cannot produce them.
 *
 * Slow readers and slow HTTP clients (B1, B3, B4) and main-thread overload (B22) are in
 * slow-clients.test.ts: they need the default keepalive, which would otherwise close a
 * stalled reader (its pongs queue behind the audio it does not read) before flow control does.
 * The security basics are in security.test.ts.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import t from 'tap';
import { WsClient } from '../helpers/gateway.ts';
import { within } from '../../harness/host-process.ts';
import { frame, RawWs, upgradeRequest } from '../helpers/raw-ws.ts';
import { API_KEY, AUTH, PING_MS, MAX_CONNECTIONS, MAX_TURN_CHARS, MAX_PAYLOAD, HEADERS_TIMEOUT_MS, SENTENCE, startReliabilityHost } from '../helpers/reliability-host.ts';

const reliability = await startReliabilityHost(t);
const { host } = reliability;
const open = reliability.open.bind(reliability);
const speak = reliability.speak.bind(reliability);
const poolTasks = reliability.poolTasks.bind(reliability);
const poolIdle = reliability.poolIdle.bind(reliability);
const wsSessions = reliability.wsSessions.bind(reliability);

// ---------------------------------------------------------------------------------------
// B: dead peers

t.test('B2 half-open client: a peer that stops answering pings is closed 1001 and its work cancelled', async (t) => {
  const client = await WsClient.open(host.wsUrl, { headers: AUTH, autoPong: false });
  t.teardown(() => client.ws.terminate());
  await client.json('ready');
  client.send({ type: 'speak', text: SENTENCE.repeat(30), turn_id: 'ghost' });
  // Two missed pongs in a row (ws-v1.md): the third ping tick closes, plus the close handshake.
  const closed = await within(client.closed, 3 * PING_MS + 3000, 'the keepalive to close the session');
  t.equal(closed.code, 1001);
  await poolIdle();
  t.equal((await host.pool()).queue_depth, 0, 'nothing of the dead session is left queued');
});

// ---------------------------------------------------------------------------------------
// B: protocol-level faults on raw sockets

t.test('B5 partial upgrade: half the upgrade headers, then silence, is answered 408 and closed at the headers timeout', async (t) => {
  const socket = connect(host.port, '127.0.0.1');
  socket.on('error', () => undefined);
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.write(upgradeRequest(host.port, API_KEY, false));
  await within(once(socket, 'close'), HEADERS_TIMEOUT_MS + 3000, 'the headers timeout');
  t.match(received, /^HTTP\/1\.1 408 /);
});

t.test('B6 partial frame: one byte of a frame header, then silence, is closed by the keepalive with 1001', async (t) => {
  const raw = await RawWs.open(t, host.port, API_KEY);
  raw.write(Buffer.from([0x81]));
  // The peer never pongs: two missed pings, then the close frame; a peer that does not answer it is cut after 1 s.
  t.equal(await raw.closeCode(3 * PING_MS + 4000), 1001);
  t.ok(raw.frames.some((f) => f.opcode === 0x9), 'pings were sent meanwhile');
});

t.test('B7 a text frame one byte over maxPayload closes 1009', async (t) => {
  const client = await open(t);
  client.send('x'.repeat(MAX_PAYLOAD + 1));
  t.equal((await within(client.closed, 5000, 'the close')).code, 1009);
});

t.test('B8 text over the per-turn limit: text_too_long, the session stays open, nothing reaches the pool', async (t) => {
  const client = await open(t);
  const before = await poolTasks();
  client.send({ type: 'text', text: 'y'.repeat(MAX_TURN_CHARS + 1), turn_id: 'long' });
  t.match(await client.json('error'), { code: 'text_too_long', recoverable: true, turn_id: 'long' });
  client.send({ type: 'ping', id: 'still-open' });
  t.match(await client.json('pong'), { id: 'still-open' });
  t.equal(await poolTasks(), before, 'no pool task was submitted');
});

t.test('B9 a text frame that is not UTF-8 closes 1007', async (t) => {
  const raw = await RawWs.open(t, host.port, API_KEY);
  raw.write(frame(0x1, Buffer.from([0xc3, 0x28])));
  t.equal(await raw.closeCode(5000), 1007);
});

t.test('B10 a binary frame is bad_message; the session stays usable', async (t) => {
  const client = await open(t);
  client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  t.match(await client.json('error'), { code: 'bad_message', recoverable: true });
  client.send({ type: 'ping', id: 1 });
  t.match(await client.json('pong'), { id: 1 });
});

t.test('B11 protocol violations each close 1002 and leave the host serving', async (t) => {
  const violations: Array<[string, Buffer]> = [
    ['RSV1 set without an extension', frame(0x1, '{"type":"ping"}', { rsv1: true })],
    ['an unmasked client frame', frame(0x1, '{"type":"ping"}', { mask: false })],
    ['a ping with a 126-byte payload', frame(0x9, Buffer.alloc(126, 0x61))],
    ['a fragmented ping', frame(0x9, 'p', { fin: false })],
    ['a continuation without a start', frame(0x0, 'orphan')],
  ];
  for (const [what, bytes] of violations) {
    const raw = await RawWs.open(t, host.port, API_KEY);
    raw.write(bytes);
    t.equal(await raw.closeCode(5000), 1002, what);
  }
  t.equal((await host.get('/healthz')).status, 200, 'the host is unaffected');
  const client = await open(t);
  t.match((await speak(t, client, 'Still serving.', 'after-b11')).done, { failed: 0 });
});

t.test('B12 200k one-byte fragments close 1008 (too many fragments) long before they are all buffered', async (t) => {
  const raw = await RawWs.open(t, host.port, API_KEY);
  const rssBefore = host.procStatus().rssKb;
  const fragments = [frame(0x1, 'x', { fin: false })];
  for (let i = 0; i < 200_000; i++) fragments.push(frame(0x0, 'x', { fin: false }));
  raw.write(fragments);
  t.equal(await raw.closeCode(15_000), 1008);
  t.comment(`host RSS ${Math.round(rssBefore / 1024)} -> ${Math.round(host.procStatus().rssKb / 1024)} MiB`);
  t.equal((await host.get('/healthz')).status, 200);
});

t.test('B13-B15 malformed messages, bad voices and speeds get their codes on the wire and reach no worker', async (t) => {
  const client = await open(t, '?voice=..%2F..%2Fetc%2Fpasswd&speed=1e9');
  t.match(await client.json('error'), { code: 'invalid_voice' }, 'a path-like query voice');
  t.match(await client.json('error'), { code: 'invalid_speed' }, 'a huge query speed');
  const before = await poolTasks();
  const cases: Array<[string, string]> = [
    ['{"type":"speak","text":"a"', 'bad_message'],
    ['['.repeat(30_000) + ']'.repeat(30_000), 'bad_message'],
    ['{"type":"speak","text":42}', 'bad_message'],
    ['{"type":"speak","text":"Hi.","voice":"../x"}', 'invalid_voice'],
    ['{"type":"speak","text":"Hi.","voice":"af_heart/../../../../etc/passwd"}', 'invalid_voice'],
    ['{"type":"speak","text":"Hi.","voice":"/etc/passwd"}', 'invalid_voice'],
    ['{"type":"speak","text":"Hi.","voice":"af_heart\\u0000.bin"}', 'invalid_voice'],
    ['{"type":"speak","text":"Hi.","voice":""}', 'invalid_voice'],
    ['{"type":"speak","text":"Hi.","voice":null}', 'invalid_voice'],
    ['{"type":"speak","text":"Hi.","voice":"nope"}', 'invalid_voice'],
    ['{"type":"speak","text":"Hi.","speed":1e999}', 'invalid_speed'],
    ['{"type":"speak","text":"Hi.","speed":-1e999}', 'invalid_speed'],
    ['{"type":"speak","text":"Hi.","speed":0}', 'invalid_speed'],
    ['{"type":"speak","text":"Hi.","speed":-1}', 'invalid_speed'],
    ['{"type":"speak","text":"Hi.","speed":1e9}', 'invalid_speed'],
    ['{"type":"speak","text":"Hi.","speed":"fast"}', 'invalid_speed'],
    ['{"type":"speak","text":"Hi.","speed":null}', 'invalid_speed'],
  ];
  for (const [message, code] of cases) {
    client.send(message);
    t.match(await client.json('error'), { code, recoverable: true }, message.slice(0, 60));
  }
  t.equal(await poolTasks(), before, 'nothing was dispatched');
  t.match((await speak(t, client, 'Missing speed means the default.', 'defaults')).done, { failed: 0, chunks: 1 });
});

// ---------------------------------------------------------------------------------------
// B: floods, cancels, disconnects, caps, churn

t.test('B16 cancel flood: the abuser is closed 1008, the other sessions are unaffected', async (t) => {
  const abuser = await open(t);
  const talker = await open(t);
  const pingers = await Promise.all(Array.from({ length: 10 }, () => open(t)));
  await host.get('/debug/eventloop?reset=1');
  const talk = speak(t, talker, SENTENCE.repeat(4), 'talk');
  // Each other session: 50 messages a second for 2 s, under the 100/s limit, while the flood runs.
  const pinging = pingers.map(async (client) => {
    for (let i = 0; i < 100; i++) {
      client.send({ type: 'ping', id: i });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ids: unknown[] = [];
    while (ids.length < 100) ids.push((await client.json('pong', 10_000)).id);
    return ids;
  });
  // The abuser fires as fast as the socket takes it (thousands a second) until it is closed.
  const cancel = JSON.stringify({ type: 'cancel' });
  let sent = 0;
  while (abuser.ws.readyState === abuser.ws.OPEN && sent < 50_000) {
    abuser.ws.send(cancel);
    if (++sent % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const closed = await within(abuser.closed, 10_000, 'the abuser to be closed');
  t.same([closed.code, closed.reason], [1008, 'rate limit exceeded'], `abuser closed after ${sent} messages`);
  const everyPong = Array.from({ length: 100 }, (_, i) => i);
  for (const ids of await Promise.all(pinging)) t.same(ids, everyPong, 'a well-behaved session got every answer, in order');
  t.ok(pingers.every((c) => c.ws.readyState === c.ws.OPEN), 'every other session is still open');
  t.match((await talk).done, { failed: 0, chunks: 4 }, 'a concurrent turn lost nothing');
  const loop = (await host.get('/debug/eventloop')).body;
  t.comment(`event-loop delay during the flood: p99 ${String(loop.p99_ms)} ms, max ${String(loop.max_ms)} ms`);
});

t.test('B17 cancel mid-stream: cancelled after chunk 2, no audio of the turn after it, nothing queued, no worker replaced', async (t) => {
  const client = await open(t);
  const respawns = await host.metric('kokoro_worker_respawns_total');
  client.send({ type: 'speak', text: SENTENCE.repeat(10), turn_id: 'barge' });
  await client.next((f) => f.kind === 'json' && f.data.type === 'tts_meta' && f.data.index === 1, 30_000);
  client.send({ type: 'cancel', turn_id: 'barge' });
  const ack = await client.json('cancelled');
  t.equal(ack.turn_id, 'barge');
  t.ok((ack.last_index as number) >= 1, `last_index ${String(ack.last_index)}`);
  await poolIdle();
  client.send({ type: 'ping', id: 'flush' });
  const after = await client.until((d) => d.type === 'pong');
  t.same(
    after.filter((f) => f.kind === 'binary' || f.data.type === 'tts_meta' || f.data.type === 'tts_done'),
    [],
    'no audio, meta or tts_done of the turn after the ack',
  );
  t.equal((await host.pool()).queue_depth, 0);
  t.equal(await host.metric('kokoro_worker_respawns_total'), respawns, 'a user cancel never replaces a worker');
});

t.test('B18 abrupt disconnect mid-stream: the turn is cancelled, the pool drains, the host is unharmed', async (t) => {
  const client = await open(t);
  const respawns = await host.metric('kokoro_worker_respawns_total');
  client.send({ type: 'speak', text: SENTENCE.repeat(12), turn_id: 'gone' });
  await client.json('tts_meta', 30_000);
  client.ws.terminate();
  await poolIdle();
  t.equal((await host.pool()).queue_depth, 0);
  t.equal(await host.metric('kokoro_worker_respawns_total'), respawns);
  t.equal((await host.get('/healthz')).status, 200);
  t.notMatch(host.stderr.join('\n'), /Unhandled|unhandledRejection|ERR_STREAM_WRITE_AFTER_END|write after end/i);
});

t.test('B19 connection cap: the extra upgrade is refused 503 before the handshake; sessions at the cap are unaffected', async (t) => {
  await wsSessions(0);
  const clients = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open(t)));
  const refused = await WsClient.open(host.wsUrl, { headers: AUTH }).then(
    (c) => (c.ws.terminate(), null),
    (err: { statusCode?: number; body?: string }) => err,
  );
  t.equal(refused?.statusCode, 503);
  t.match(JSON.parse(refused?.body ?? '{}'), { error: { code: 'overloaded' } });
  clients[0]!.send({ type: 'ping', id: 'cap' });
  t.match(await clients[0]!.json('pong'), { id: 'cap' });
  for (const c of clients) c.close();
  await wsSessions(0);
});

t.test('B20 connection churn: fds return to baseline, no listener leak warnings', async (t) => {
  const cycle = async (n: number) => {
    const client = await WsClient.open(host.wsUrl, { headers: AUTH });
    await client.json('ready');
    client.send({ type: 'speak', text: 'Hi.', turn_id: `c${n}` });
    await client.json('tts_done', 30_000);
    client.close();
    await client.closed;
  };
  for (let i = 0; i < 8; i++) await cycle(i);
  await wsSessions(0);
  await poolIdle();
  const fdsBefore = host.fdCount();
  const rssBefore = host.procStatus().rssKb;
  const loops = 4;
  const perLoop = 25;
  await Promise.all(Array.from({ length: loops }, async (_, l) => {
    for (let i = 0; i < perLoop; i++) await cycle(100 + l * perLoop + i);
  }));
  await wsSessions(0);
  await poolIdle();
  const fdsAfter = host.fdCount();
  // A few descriptors of slack: the test's own keep-alive HTTP connections to the probes.
  t.ok(fdsAfter <= fdsBefore + 4, `fds ${fdsBefore} -> ${fdsAfter} after ${loops * perLoop} cycles`);
  t.comment(`RSS ${Math.round(rssBefore / 1024)} -> ${Math.round(host.procStatus().rssKb / 1024)} MiB`);
  t.notMatch(host.stderr.join('\n'), /MaxListenersExceededWarning/);
});
