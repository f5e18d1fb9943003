/**
 * The Deepgram-compatible Speak socket (docs/deepgram.md) driven by the unmodified
 * Deepgram JS SDK against a started host over the fake pool: Metadata, Speak/Flush/
 * Flushed ordering, streaming before Flush, Clear, Close, model mapping, auth, and the
 * HTTP refusals of bad queries.
 */
import http from 'node:http';
import t from 'tap';
import { floatToS16le } from '../../src/common/audio.ts';
import { audioOf, jsonOf, SpeakClient, wsBase, type DgMessage } from '../helpers/deepgram-client.ts';
import { fakePcm } from '../helpers/fake-pool.ts';
import { startHost } from '../helpers/gateway.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** linear16 at 24 kHz: the fake pool's audio for these phrases, in order. */
function expectedAudio(texts: readonly string[], voice = 'af_heart', speed = 1): Buffer {
  return Buffer.concat(texts.map((text) => floatToS16le(fakePcm(text, voice, speed))));
}

/** An upgrade request answered with plain HTTP: its status, headers and JSON body. */
function refusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // A refused upgrade's socket is destroyed by the host: never reuse it.
    const req = http.get(url, {
      agent: false,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.once('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted'));
    });
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(body) as Record<string, unknown> }));
    });
    req.once('error', reject);
  });
}

t.test('Metadata comes first and names the model', async (t) => {
  const host = await startHost(t);
  const client = await SpeakClient.open(t, wsBase(host.base), { model: 'aura-2-thalia-en' });
  const first = await client.next();
  t.equal(first.kind, 'json');
  const meta = (first as { data: Record<string, unknown> }).data;
  t.match(meta, { type: 'Metadata', model_name: 'aura-2-thalia-en', model_version: String });
  t.match(meta.request_id, UUID);
  t.match(meta.model_uuid, UUID);
});

t.test('Speak then Flush: the audio of every phrase in order, then Flushed', async (t) => {
  const host = await startHost(t);
  const client = await SpeakClient.open(t, wsBase(host.base));
  const text = 'Hello there, this is the first sentence of the reply. And here is a second one. A third follows.';
  client.speak(text);
  client.flush();
  const messages = await client.until('Flushed');
  const texts = host.pool.calls.map((c) => c.text);
  t.ok(texts.length >= 2, `several chunks (${texts.length})`);
  t.equal(texts.join(' '), text, 'every word synthesized once, in order');
  t.same(await audioOf(messages), expectedAudio(texts), 'raw linear16 at 24 kHz, no container, phrase after phrase');
  t.same(jsonOf(messages).slice(1), [{ type: 'Flushed', sequence_id: 0 }], 'Metadata, then nothing but audio until Flushed');
  t.equal(messages.at(-1)!.kind, 'json', 'Flushed comes after the last audio');
});

t.test('Speak text is chunked and synthesized as it streams in, before any Flush', async (t) => {
  const host = await startHost(t);
  const client = await SpeakClient.open(t, wsBase(host.base));
  client.speak('The first sentence is complete. ');
  client.speak('The second is not');
  await client.next((m) => m.kind === 'audio');
  t.same(host.pool.calls.map((c) => c.text), ['The first sentence is complete.'], 'only the complete phrase was dispatched');
  client.speak(' yet, but now it is.');
  client.flush();
  const messages = await client.until('Flushed');
  t.same(host.pool.calls.map((c) => c.text), ['The first sentence is complete.', 'The second is not yet, but now it is.']);
  t.same(await audioOf(messages), expectedAudio(['The second is not yet, but now it is.']), 'the rest arrives before Flushed');
});

t.test('every Flush is answered in order, after the audio of all text sent before it', async (t) => {
  const host = await startHost(t, {}, { delayMs: (req) => (req.text.startsWith('First') ? 30 : 0) });
  const client = await SpeakClient.open(t, wsBase(host.base));
  client.speak('First turn here.');
  client.flush();
  client.speak('Second turn here.');
  client.flush();
  client.flush();
  const messages = await client.until('Flushed');
  t.same(await audioOf(messages), expectedAudio(['First turn here.']), 'Flushed 0 follows the first text only');
  const rest = [...(await client.until('Flushed')), ...(await client.until('Flushed'))];
  t.same(await audioOf(rest), expectedAudio(['Second turn here.']), 'the second text, though synthesized first, plays second');
  t.same(jsonOf(messages).at(-1), { type: 'Flushed', sequence_id: 0 });
  t.same(jsonOf(rest), [{ type: 'Flushed', sequence_id: 1 }, { type: 'Flushed', sequence_id: 2 }], 'a Flush with no new text rides on the last one');
  client.flush();
  t.same(await client.json('Flushed'), { type: 'Flushed', sequence_id: 3 }, 'with nothing pending a Flush is answered at once');
});

t.test('Clear mid-stream: Cleared, and no audio of the cleared text after it', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold((req) => req.text.startsWith('Second'));
  const client = await SpeakClient.open(t, wsBase(host.base));
  client.speak('First sentence here. Second sentence here. Third sentence here.');
  client.flush();
  await hold.reached;
  await client.next((m) => m.kind === 'audio');
  client.clear();
  const before = client.messages.length;
  t.same(await client.json('Cleared'), { type: 'Cleared', sequence_id: 0 });
  hold.release();
  await host.pool.idle();
  client.speak('After the clear.');
  client.flush();
  const after = await client.until('Flushed');
  t.same(await audioOf(after), expectedAudio(['After the clear.']), 'only the new text is heard after Cleared');
  t.same(jsonOf(after).at(-1), { type: 'Flushed', sequence_id: 1 }, 'the cleared Flush is never answered');
  t.notOk(
    client.messages.slice(before).some((m: DgMessage) => m.kind === 'json' && m.data.type === 'Flushed' && m.data.sequence_id === 0),
    'no Flushed for the cleared text',
  );
});

t.test('Close plays out the text already sent, then closes with 1000', async (t) => {
  const host = await startHost(t);
  const client = await SpeakClient.open(t, wsBase(host.base));
  client.speak('A last sentence, never flushed.');
  client.sendClose();
  const closed = await client.closed;
  t.equal(closed.code, 1000);
  const texts = host.pool.calls.map((c) => c.text);
  t.equal(texts.join(' '), 'A last sentence, never flushed.');
  t.same(await audioOf(client.messages), expectedAudio(texts));
  t.same(client.errors, []);
});

t.test('Close with nothing pending closes at once with 1000', async (t) => {
  const host = await startHost(t);
  const client = await SpeakClient.open(t, wsBase(host.base), {}, { reconnect: true });
  await client.json('Metadata');
  client.sendClose();
  t.equal((await client.closed).code, 1000);
  t.equal(host.pool.calls.length, 0);
});

t.test('model, speed: Aura names map to Kokoro voices, Kokoro ids pass through', async (t) => {
  const host = await startHost(t);
  const cases: Array<[string, string]> = [
    ['aura-2-draco-en', 'bm_george'],
    ['aura-asteria-en', 'af_heart'],
    ['aura-2-hyperion-en', 'bm_fable'],
    ['am_adam', 'am_adam'],
  ];
  for (const [model, voice] of cases) {
    const client = await SpeakClient.open(t, wsBase(host.base), { model, speed: 1.5 });
    client.speak('Which voice is this?');
    client.flush();
    const messages = await client.until('Flushed');
    t.match(host.pool.calls.at(-1), { voice, speed: 1.5 }, `${model} -> ${voice}`);
    t.same(await audioOf(messages), expectedAudio(['Which voice is this?'], voice, 1.5));
  }
  const plain = await SpeakClient.open(t, wsBase(host.base));
  t.match(await plain.json('Metadata'), { model_name: 'af_heart' }, 'no model: the default voice');
});

t.test('bad query values are refused before the upgrade with HTTP 400 and their code', async (t) => {
  const host = await startHost(t);
  const url = `${host.base}/v1/speak`;
  const cases: Array<[string, string, string]> = [
    ['model=aura-2-nobody-en', 'invalid_voice', 'model'],
    ['model=aura-2-celeste-es', 'invalid_voice', 'model'],
    ['model=nobody', 'invalid_voice', 'model'],
    ['model=', 'invalid_voice', 'model'],
    ['encoding=mp3', 'invalid_format', 'encoding'],
    ['encoding=opus', 'invalid_format', 'encoding'],
    ['sample_rate=22050', 'invalid_format', 'sample_rate'],
    ['sample_rate=fast', 'invalid_format', 'sample_rate'],
    ['encoding=mulaw&sample_rate=96000', 'invalid_format', 'sample_rate'],
    ['speed=3', 'invalid_speed', 'speed'],
    ['speed=fast', 'invalid_speed', 'speed'],
    ['speed=', 'invalid_speed', 'speed'],
  ];
  for (const [query, code, param] of cases) {
    const res = await refusal(`${url}?${query}`);
    t.equal(res.status, 400, query);
    t.match(res.body, { error: { code, param } }, query);
    t.type(res.headers['dg-error'], 'string', `${query}: Deepgram's dg-error header`);
  }
  const mip = await SpeakClient.open(t, wsBase(host.base), { mip_opt_out: true, queryParams: { container: 'none' } });
  t.match(await mip.json('Metadata'), { type: 'Metadata' }, 'query names Deepgram clients add are ignored');
  t.equal(host.pool.calls.length, 0);
});

t.test('the SDK reports a refused model as an error without opening a session', async (t) => {
  const host = await startHost(t);
  await t.rejects(SpeakClient.open(t, wsBase(host.base), { model: 'aura-2-nobody-en' }), /400/);
  t.equal(host.app.gateway.lifecycle.size, 0);
});

t.test('a plain GET (no upgrade) is answered 426', async (t) => {
  const host = await startHost(t);
  const res = await fetch(`${host.base}/v1/speak`);
  t.equal(res.status, 426);
  t.match(await res.json(), { error: { code: 'invalid_request' } });
});

t.test('auth: the Token header, a Bearer header or the token subprotocol, checked against the key', async (t) => {
  const host = await startHost(t, { apiKey: 'sekret' });
  const base = wsBase(host.base);

  const token = await SpeakClient.open(t, base, {}, { apiKey: 'sekret' });
  t.match(await token.json('Metadata'), { type: 'Metadata' }, 'Authorization: Token <key> (what the SDK sends)');

  const bearer = await SpeakClient.open(t, base, { headers: { Authorization: 'Bearer sekret' } }, { apiKey: false });
  t.match(await bearer.json('Metadata'), { type: 'Metadata' }, 'Authorization: Bearer <key>');

  const sub = await SpeakClient.open(t, base, { protocols: ['token', 'sekret'] }, { apiKey: false });
  t.match(await sub.json('Metadata'), { type: 'Metadata' }, 'Sec-WebSocket-Protocol: token, <key>');
  t.equal(sub.socket.socket.protocol, 'token', 'the host selects "token", never echoing the key');

  await t.rejects(SpeakClient.open(t, base, {}, { apiKey: 'wrong' }), /401/, 'a wrong key');
  await t.rejects(SpeakClient.open(t, base, { protocols: ['token', 'wrong'] }, { apiKey: false }), /401/, 'a wrong subprotocol key');
  await t.rejects(SpeakClient.open(t, base, {}, { apiKey: false }), /401/, 'no key');
  const res = await refusal(`${host.base}/v1/speak`, { authorization: 'Token wrong' });
  t.equal(res.status, 401);
  t.match(res.body, { error: { code: 'unauthorized' } });
});
