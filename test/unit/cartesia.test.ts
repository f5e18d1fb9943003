/**
 * The Cartesia-compatible socket (docs/cartesia.md), driven with the published message
 * shapes over `ws` against a started host on the fake pool: continued contexts, flush and
 * flush_done, done, cancel mid-turn, output encodings, errors in Cartesia's shape (the
 * socket goes on), and auth with `X-API-Key`.
 */
import t from 'tap';
import { floatToS16le } from '../../src/common/audio.ts';
import { fakePcm } from '../helpers/fake-pool.ts';
import { startHost, WsClient, type Frame, type Host } from '../helpers/gateway.ts';

type Json = Record<string, unknown>;

const url = (host: Host, query = '') => `${host.base.replace(/^http/, 'ws')}/tts/websocket${query}`;
const json = (frames: readonly Frame[]): Json[] => frames.filter((f) => f.kind === 'json').map((f) => f.data as Json);
const audioOf = (frames: readonly Json[], ctx: string): Buffer =>
  Buffer.concat(frames.filter((f) => f.type === 'chunk' && f.context_id === ctx).map((f) => Buffer.from(f.data as string, 'base64')));
const expected = (texts: readonly string[], voice = 'af_heart'): Buffer => Buffer.concat(texts.map((text) => floatToS16le(fakePcm(text, voice, 1))));

function request(contextId: string, transcript: string, extra: Json = {}): Json {
  return {
    model_id: 'sonic-2',
    transcript,
    voice: { mode: 'id', id: 'af_heart' },
    output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 },
    language: 'en',
    context_id: contextId,
    add_timestamps: true,
    ...extra,
  };
}

t.test('a continued context: audio chunks of every phrase in order, then done', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(url(host), { headers: { 'Cartesia-Version': '2025-04-16' } });
  client.send(request('c1', 'Hello there, this is ', { continue: true }));
  client.send(request('c1', 'the first sentence. And a second one.', { continue: true }));
  client.send(request('c1', ' ', { continue: false }));
  const frames = json(await client.until((d) => d.type === 'done'));
  const texts = host.pool.calls.map((c) => c.text);
  t.same(texts, ['Hello there, this is the first sentence.', 'And a second one.']);
  t.same(audioOf(frames, 'c1'), expected(texts), 'pcm_s16le at 24 kHz');
  for (const f of frames.slice(0, -1)) t.match(f, { type: 'chunk', context_id: 'c1', status_code: 206, done: false, data: String }, 'only chunks before done');
  t.notOk(frames.some((f) => f.type === 'timestamps'), 'no timestamps when the host cannot time words');
  t.same(frames.at(-1), { type: 'done', context_id: 'c1', status_code: 200, done: true });
});

t.test('flush: flush_done after the audio of the text before it, numbered per context; the context goes on', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(url(host));
  client.send(request('f', 'No full stop', { continue: true, flush: true }));
  const first = json(await client.until((d) => d.type === 'flush_done'));
  t.same(audioOf(first, 'f'), expected(['No full stop']));
  t.match(first.at(-1), { type: 'flush_done', context_id: 'f', flush_id: 1, flush_done: true, status_code: 206 });
  client.send(request('f', '', { continue: true, flush: true }));
  t.match(json(await client.until((d) => d.type === 'flush_done')).at(-1), { flush_id: 2 }, 'a flush with nothing pending is answered at once');
  client.send(request('f', 'And more.', { continue: false }));
  const rest = json(await client.until((d) => d.type === 'done'));
  t.same(audioOf(rest, 'f'), expected(['And more.']));
});

t.test('cancel mid-turn: no more audio of the context, and the socket serves the next one', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold((req) => req.text.startsWith('Second'));
  const client = await WsClient.open(url(host));
  client.send(request('x', 'First sentence here. Second sentence here. Third sentence here.', { continue: true }));
  await hold.reached;
  await client.next((f) => f.kind === 'json' && f.data.type === 'chunk');
  client.send({ context_id: 'x', cancel: true });
  client.send({ context_id: 'never-opened', cancel: true });
  client.send(request('y', 'After the cancel.'));
  // Messages are handled in order: once y is done, the cancel was handled; only then may x's held chunk finish.
  const after = json(await client.until((d) => d.type === 'done'));
  hold.release();
  await host.pool.idle();
  client.send(request('z', 'Last.'));
  after.push(...json(await client.until((d) => d.type === 'done')));
  t.same(json(client.frames).filter((f) => f.type === 'done').map((f) => f.context_id), ['y', 'z'], 'no done for the cancelled context');
  t.same(audioOf(after, 'y'), expected(['After the cancel.']));
  t.notOk(after.some((f) => f.context_id === 'x'), 'nothing of the cancelled context after the cancel');
  t.notOk(json(client.frames).some((f) => f.type === 'error'), 'a cancel of an unknown context is ignored');
});

t.test('encodings: pcm_f32le and pcm_mulaw at 8 kHz have the right length', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(url(host));
  client.send(request('f32', 'One sentence.', { output_format: { container: 'raw', encoding: 'pcm_f32le', sample_rate: 24000 } }));
  const f32 = audioOf(json(await client.until((d) => d.type === 'done')), 'f32');
  const pcm = fakePcm('One sentence.', 'af_heart', 1);
  t.equal(f32.length, pcm.length * 4);
  t.ok(Math.abs(f32.readFloatLE(400) - pcm[100]!) < 1e-6, 'float samples as synthesized');
  client.send(request('mu', 'One sentence.', { output_format: { container: 'raw', encoding: 'pcm_mulaw', sample_rate: 8000 } }));
  t.equal(audioOf(json(await client.until((d) => d.type === 'done')), 'mu').length, Math.round(pcm.length / 3), 'one byte a sample at 8 kHz');
});

t.test("bad input gets Cartesia's error for its context and the socket goes on", async (t) => {
  const host = await startHost(t, { maxTurnChars: 30 });
  const client = await WsClient.open(url(host));
  const cases: Array<[string, unknown, string, number, string]> = [
    ['unknown voice', request('v', 'Hi.', { voice: { mode: 'id', id: 'a0e99841-438c-4a64-b679-ae501e7d6091' } }), 'invalid_voice', 400, 'v'],
    ['bad encoding', request('e', 'Hi.', { output_format: { container: 'raw', encoding: 'mp3', sample_rate: 24000 } }), 'invalid_format', 400, 'e'],
    ['bad sample rate', request('r', 'Hi.', { output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 12345 } }), 'invalid_format', 400, 'r'],
    ['malformed JSON', '{"transcript": ', 'bad_message', 400, ''],
    ['oversize transcript', request('big', 'z'.repeat(31)), 'text_too_long', 413, 'big'],
    ['other language', request('l', 'Hola.', { language: 'es' }), 'invalid_request', 400, 'l'],
  ];
  for (const [name, message, code, status, ctx] of cases) {
    client.send(message);
    const f = (await client.next()).data as Json;
    t.match(f, { type: 'error', code, status_code: status, context_id: ctx, done: true, error: String }, name);
  }
  client.send(request('ended', 'Done now.'));
  await client.until((d) => d.type === 'done' && d.context_id === 'ended');
  client.send(request('ended', 'More?', { continue: true }));
  client.send(request('ended2', 'Still usable.'));
  const frames = json(await client.until((d) => d.type === 'done'));
  t.equal(frames.filter((f) => f.type === 'error').length, 0, 'a finished context id may be reused: it opens a new context');
  t.same(audioOf(frames, 'ended2'), expected(['Still usable.']), 'the socket still speaks');
  t.equal(host.pool.calls.filter((c) => c.text === 'Hi.' || c.text === 'Hola.').length, 0, 'refused requests were not synthesized');
  client.close();
  await client.closed;
});

t.test('auth: X-API-Key header or api_key query; refused before the handshake without it', async (t) => {
  const host = await startHost(t, { apiKey: 'sekret' });
  await t.rejects(WsClient.open(url(host)), /HTTP 401/);
  const byHeader = await WsClient.open(url(host), { headers: { 'X-API-Key': 'sekret', 'Cartesia-Version': '2025-04-16' } });
  byHeader.close();
  const byQuery = await WsClient.open(url(host, '?api_key=sekret&cartesia_version=2025-04-16'));
  byQuery.close();
  t.pass('both ways open the socket');
});
