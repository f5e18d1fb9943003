/**
 * Reliability matrix section B (gateway, protocol and client faults) and the security
 * basics, against the real host as a child process: one host for the whole file, with an
 * API key (every client here presents it) and a short ping interval. Protocol-level
 * faults use raw `net` sockets and hand-built frames: a well-behaved client library
 * cannot produce them.
 *
 * Slow readers and slow HTTP clients (B1, B3, B4) and main-thread overload (B22) are in
 * slow-clients.test.ts: they need the default keepalive, which would otherwise close a
 * stalled reader (its pongs queue behind the audio it does not read) before flow control does.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { audioChunks, jsonFrames, WsClient, type Frame } from '../helpers/gateway.ts';
import { HostProcess, until, within } from '../../harness/host-process.ts';

const API_KEY = 'reliability-key';
const AUTH = { authorization: `Bearer ${API_KEY}` };
const PING_MS = 400;
const MAX_CONNECTIONS = 24;
const MAX_TURN_CHARS = 20_000;
const MAX_PAYLOAD = 65_536;
const HEADERS_TIMEOUT_MS = 1000;
const BODY_LIMIT = 65_536;

const host = await HostProcess.start({
  env: {
    KOKORO_API_KEY: API_KEY,
    KOKORO_WS_PING_INTERVAL_MS: String(PING_MS),
    KOKORO_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    KOKORO_MAX_TURN_CHARS: String(MAX_TURN_CHARS),
    KOKORO_WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
    KOKORO_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    KOKORO_BODY_LIMIT_BYTES: String(BODY_LIMIT),
  },
});
t.teardown(async () => {
  const status = await host.stop();
  // After every fault above, the host still shuts down gracefully.
  if (status.code !== 0) throw new Error(`the host did not exit 0 (${status.signal ?? status.code}); stderr: ${host.stderrTail()}`);
});

// ---------------------------------------------------------------------------------------
// Clients

async function open(t: Test, query = ''): Promise<WsClient> {
  const client = await WsClient.open(`${host.wsUrl}${query}`, { headers: AUTH });
  t.teardown(() => client.ws.terminate());
  await client.json('ready');
  return client;
}

/** Every frame of one turn up to its tts_done; asserts in-order audio. */
async function speak(t: Test, client: WsClient, text: string, turnId: string, ms = 30_000): Promise<{ frames: Frame[]; done: Record<string, unknown> }> {
  client.send({ type: 'speak', text, turn_id: turnId });
  const frames = await client.until((d) => d.type === 'tts_done' && d.turn_id === turnId, ms);
  const indices = audioChunks(frames).filter((c) => c.meta.turn_id === turnId).map((c) => c.meta.index as number);
  t.same(indices, [...indices].sort((a, b) => a - b), `${turnId}: audio in index order`);
  return { frames, done: jsonFrames(frames).at(-1)! };
}

/** Tasks the pool has dispatched so far (each run observes the queue-wait histogram once). */
function poolTasks(): Promise<number> {
  return host.metric('kokoro_queue_wait_seconds_count');
}

/** The pool has nothing queued or running (checked over HTTP: no event reaches the test). */
function poolIdle(ms = 20_000): Promise<true> {
  return until(async () => ((await host.pool()).in_flight === 0 ? true : undefined), ms, 'pool idle');
}

function wsSessions(n: number, ms = 10_000): Promise<true> {
  return until(async () => ((await host.metric('kokoro_ws_connections')) === n ? true : undefined), ms, `${n} WebSocket sessions`);
}

// ---------------------------------------------------------------------------------------
// Raw WebSocket: hand-made frames, and the server's frames parsed as they arrive

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

class RawWs {
  readonly socket: Socket;
  readonly frames: ServerFrame[] = [];
  readonly ended: Promise<void>;
  #buf = Buffer.alloc(0);

  private constructor(socket: Socket, rest: Buffer) {
    this.socket = socket;
    this.ended = once(socket, 'close').then(() => undefined);
    socket.on('data', (d: Buffer) => this.#take(d));
    this.#take(rest);
  }

  /** Completes the upgrade handshake by hand. */
  static async open(t: Test): Promise<RawWs> {
    const socket = connect(host.port, '127.0.0.1');
    socket.on('error', () => undefined);
    t.teardown(() => socket.destroy());
    await once(socket, 'connect');
    socket.write(upgradeRequest(true));
    let head = Buffer.alloc(0);
    while (!head.includes('\r\n\r\n')) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      head = Buffer.concat([head, chunk]);
    }
    socket.removeAllListeners('data');
    const end = head.indexOf('\r\n\r\n') + 4;
    const status = head.subarray(0, end).toString('latin1').split('\r\n')[0];
    if (status !== 'HTTP/1.1 101 Switching Protocols') throw new Error(`upgrade refused: ${status}`);
    return new RawWs(socket, head.subarray(end));
  }

  write(frames: Buffer | Buffer[]): void {
    this.socket.write(Array.isArray(frames) ? Buffer.concat(frames) : frames);
  }

  /** The close code the server sent, once the connection is gone (bounded). */
  async closeCode(ms: number): Promise<number | undefined> {
    await within(this.ended, ms, 'the server to close the connection');
    const close = this.frames.find((f) => f.opcode === 0x8);
    return close === undefined || close.payload.length < 2 ? undefined : close.payload.readUInt16BE(0);
  }

  #take(data: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, data]);
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + len) return;
      this.frames.push({ opcode: b[0]! & 0x0f, payload: b.subarray(at, at + len) });
      this.#buf = b.subarray(at + len);
    }
  }
}

function upgradeRequest(complete: boolean): string {
  const lines = [
    'GET /v1/tts/ws HTTP/1.1',
    `Host: 127.0.0.1:${host.port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${KEY}`,
    'Sec-WebSocket-Version: 13',
    `Authorization: Bearer ${API_KEY}`,
  ];
  return complete ? `${lines.join('\r\n')}\r\n\r\n` : `${lines.slice(0, 3).join('\r\n')}\r\n`;
}

/** A client frame; masked unless told otherwise, as RFC 6455 requires of clients. */
function frame(opcode: number, payload: Buffer | string, o: { fin?: boolean; rsv1?: boolean; mask?: boolean } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const masked = o.mask ?? true;
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 === true ? 0x40 : 0) | opcode;
  let head: Buffer;
  if (data.length < 126) head = Buffer.from([b0, (masked ? 0x80 : 0) | data.length]);
  else if (data.length < 65536) head = Buffer.from([b0, (masked ? 0x80 : 0) | 126, data.length >> 8, data.length & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = (masked ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(BigInt(data.length), 2);
  }
  if (!masked) return Buffer.concat([head, data]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}

const SENTENCE = 'This sentence becomes about a second of audio. ';

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
  socket.write(upgradeRequest(false));
  await within(once(socket, 'close'), HEADERS_TIMEOUT_MS + 3000, 'the headers timeout');
  t.match(received, /^HTTP\/1\.1 408 /);
});

t.test('B6 partial frame: one byte of a frame header, then silence, is closed by the keepalive with 1001', async (t) => {
  const raw = await RawWs.open(t);
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
  const raw = await RawWs.open(t);
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
    const raw = await RawWs.open(t);
    raw.write(bytes);
    t.equal(await raw.closeCode(5000), 1002, what);
  }
  t.equal((await host.get('/healthz')).status, 200, 'the host is unaffected');
  const client = await open(t);
  t.match((await speak(t, client, 'Still serving.', 'after-b11')).done, { failed: 0 });
});

t.test('B12 200k one-byte fragments close 1008 (too many fragments) long before they are all buffered', async (t) => {
  const raw = await RawWs.open(t);
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

// ---------------------------------------------------------------------------------------
// Security basics

t.test('security: bearer token on HTTP and on the upgrade; probes and metrics stay open', async (t) => {
  for (const path of ['/healthz', '/readyz', '/metrics']) t.equal((await host.get(path)).status, 200, path);
  const denied = await host.get('/v1/voices');
  t.equal(denied.status, 401);
  t.match(denied.body, { error: { code: 'unauthorized' } });
  t.equal(denied.headers.get('www-authenticate'), 'Bearer');
  t.equal((await host.get('/v1/voices', { headers: { authorization: 'Bearer wrong' } })).status, 401);
  t.equal((await host.get('/v1/voices', { headers: AUTH })).status, 200);
  const speech = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"tts-1","input":"Hi."}' });
  t.equal(speech.status, 401, 'synthesis needs the key');
  for (const url of [host.wsUrl, `${host.wsUrl}?api_key=wrong`]) {
    const refused = await WsClient.open(url).then(
      (c) => (c.ws.terminate(), null),
      (err: { statusCode?: number }) => err,
    );
    t.equal(refused?.statusCode, 401, `upgrade ${url.includes('?') ? 'with a wrong key' : 'without a key'}`);
  }
  const byQuery = await WsClient.open(`${host.wsUrl}?api_key=${API_KEY}`);
  t.teardown(() => byQuery.ws.terminate());
  t.match(await byQuery.json('ready'), { type: 'ready' }, 'a browser may pass the key as ?api_key');
  t.notOk(host.lines().some((l) => JSON.stringify(l).includes(API_KEY)), 'the key never appears in the logs');
});

t.test('security: voices are validated against the catalogue (no path traversal into voice files), before dispatch', async (t) => {
  const before = await poolTasks();
  const post = (voice: unknown) =>
    fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tts-1', input: 'Hi.', voice }) });
  for (const voice of ['../../etc/passwd', 'af_heart/../../x', '..%2F..%2Fvoices%2Faf_heart', '/etc/passwd', 'af_heart.bin', 'af_heart\u0000', 'AF_HEART', 'af_heart+../x', 42]) {
    const res = await post(voice);
    t.equal(res.status, 400, JSON.stringify(voice));
    t.match(await res.json(), { error: { code: 'invalid_voice', param: 'voice' } });
  }
  t.equal(await poolTasks(), before, 'nothing was dispatched');
});

t.test('security: body and message size limits', async (t) => {
  const big = JSON.stringify({ model: 'tts-1', input: 'x'.repeat(BODY_LIMIT) });
  const res = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: big });
  t.equal(res.status, 413, 'B21: a body over the limit');
  t.match(await res.json(), { error: { code: 'invalid_request' } });
  const client = await open(t);
  client.send('x'.repeat(MAX_PAYLOAD + 1));
  t.equal((await within(client.closed, 5000, 'the close')).code, 1009, 'a message over the limit');
});

t.test('security: error bodies and frames carry no stack traces, file paths or secrets', async (t) => {
  const json = { ...AUTH, 'content-type': 'application/json' };
  const responses = await Promise.all([
    fetch(`${host.base}/v1/nothing?api_key=${API_KEY}`, { headers: AUTH }),
    fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: json, body: '{"model":' }),
    fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: json, body: '[]' }),
    fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: json, body: '{"model":"tts-1","input":"Hi.","voice":"../../../../etc/passwd"}' }),
    fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: json, body: '{"model":"tts-1","input":"Hi.","response_format":"../../x"}' }),
    fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: json, body: '{"model":"tts-1","input":"[[error]] Bad tensor."}' }),
    fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/plain' }, body: 'hello' }),
    fetch(`${host.base}/v1/audio/speech`, { method: 'DELETE', headers: AUTH }),
    fetch(`${host.base}/v1/tts/ws`, { headers: AUTH }),
  ]);
  const leak = /\/work\/|\/home\/|node_modules|\.[cm]?[jt]s:\d+|\bat \S+ \(|\n\s+at |onnxruntime|Napi|reliability-key/;
  for (const res of responses) {
    const text = await res.text();
    t.ok(res.status >= 400, `${res.url.replace(host.base, '')} -> ${res.status}`);
    t.notMatch(text, leak, `${res.status} body: ${text.slice(0, 120)}`);
    t.doesNotThrow(() => JSON.parse(text), 'an OpenAI-style JSON body');
  }
  const client = await open(t);
  client.send({ type: 'speak', text: '[[error]] Bad tensor. [[error]] Another bad tensor.', turn_id: 'leaky' });
  const frames = jsonFrames(await client.until((d) => d.type === 'tts_done', 30_000));
  const errors = frames.filter((f) => f.type === 'error');
  t.ok(errors.length >= 2, 'the failures were reported');
  for (const e of errors) t.notMatch(JSON.stringify(e), leak, `${String(e.code)}: ${String(e.message)}`);
});
