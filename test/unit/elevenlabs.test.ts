/**
 * The ElevenLabs-compatible sockets (docs/elevenlabs.md), driven with the published message
 * shapes over `ws` against a started host on the fake pool: initialisation, streamed text,
 * flush, end of input, multi-stream contexts, close_context barge-in, output formats,
 * errors in ElevenLabs' shape, and auth with `xi-api-key`.
 */
import t from 'tap';
import alawmulaw from 'alawmulaw';
import { floatToS16le, resample } from '../../src/common/audio.ts';
import { fakePcm } from '../helpers/fake-pool.ts';
import { startHost, WsClient, type Frame, type Host } from '../helpers/gateway.ts';

type Json = Record<string, unknown>;

function url(host: Host, voice: string, query = 'output_format=pcm_24000', multi = false): string {
  return `${host.base.replace(/^http/, 'ws')}/v1/text-to-speech/${voice}/${multi ? 'multi-' : ''}stream-input?${query}`;
}

const json = (frames: readonly Frame[]): Json[] => frames.filter((f) => f.kind === 'json').map((f) => f.data as Json);
const audioOf = (frames: readonly Json[]): Buffer => Buffer.concat(frames.filter((f) => typeof f.audio === 'string').map((f) => Buffer.from(f.audio as string, 'base64')));
const expected = (texts: readonly string[], voice = 'af_heart'): Buffer => Buffer.concat(texts.map((text) => floatToS16le(fakePcm(text, voice, 1))));

t.test('stream-input: init, text in pieces, end of input -> audio of every phrase, isFinal, close 1000', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(url(host, '21m00Tcm4TlvDq8ikWAM'));
  client.send({ text: ' ', voice_settings: { stability: 0.5, similarity_boost: 0.8 }, generation_config: { chunk_length_schedule: [120] } });
  for (const piece of ['Hello there, ', 'this is the first sentence. ', 'And a second one.']) client.send({ text: piece, try_trigger_generation: false });
  client.send({ text: '' });
  const frames = json(await client.until((d) => d.isFinal === true));
  const texts = host.pool.calls.map((c) => c.text);
  t.same(texts, ['Hello there, this is the first sentence.', 'And a second one.'], 'chunked as it streamed in');
  t.same(host.pool.calls.map((c) => c.voice), ['af_heart', 'af_heart'], 'Rachel speaks as af_heart');
  t.same(audioOf(frames), expected(texts), 'pcm_24000: s16le of every phrase, in order');
  for (const f of frames.slice(0, -1)) t.match(f, { audio: String, isFinal: false, alignment: null, normalizedAlignment: null }, 'no word times on this pool: alignment null');
  t.same(frames.at(-1), { isFinal: true });
  t.same(await client.closed, { code: 1000, reason: 'end of input' });
});

t.test('stream-input: flush speaks the buffered text at once and the socket goes on', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(url(host, 'af_bella'));
  client.send({ text: ' ' });
  client.send({ text: 'No full stop here' });
  client.send({ text: ' ', flush: true });
  await client.next((f) => f.kind === 'json' && typeof f.data.audio === 'string');
  t.same(host.pool.calls.map((c) => c.text), ['No full stop here'], 'flush dispatched the unfinished phrase');
  client.send({ text: 'More text.' });
  client.send({ text: '' });
  const frames = json(await client.until((d) => d.isFinal === true));
  t.same(audioOf(frames), expected(['More text.'], 'af_bella'));
  t.equal(json(client.frames).filter((f) => f.isFinal === true).length, 1, 'one isFinal, at the end of input');
});

t.test('output formats: ulaw_8000 resampled and mu-law coded; mp3 frames', async (t) => {
  const host = await startHost(t);
  const ulaw = await WsClient.open(url(host, 'af_heart', 'output_format=ulaw_8000'));
  ulaw.send({ text: 'One sentence.' });
  ulaw.send({ text: '' });
  const s16 = floatToS16le(resample(fakePcm('One sentence.', 'af_heart', 1), 24000, 8000));
  const mu = alawmulaw.mulaw.encode(new Int16Array(s16.buffer, s16.byteOffset, s16.byteLength / 2));
  t.same(audioOf(json(await ulaw.until((d) => d.isFinal === true))), Buffer.from(mu.buffer, mu.byteOffset, mu.byteLength));

  const mp3 = await WsClient.open(url(host, 'af_heart', 'output_format=mp3_44100_128'));
  mp3.send({ text: 'One sentence.' });
  mp3.send({ text: '' });
  const bytes = audioOf(json(await mp3.until((d) => d.isFinal === true)));
  t.ok(bytes.length > 0, 'mp3 bytes');
  t.equal(bytes[0], 0xff, 'starts with an MPEG frame sync');
  t.equal(bytes[1]! & 0xe0, 0xe0);
});

t.test('multi-stream: contexts answered with contextId; close_context drops unflushed text; close_socket ends', async (t) => {
  const host = await startHost(t);
  const client = await WsClient.open(url(host, 'am_adam', 'output_format=pcm_24000', true));
  client.send({ text: ' ', context_id: 'a' });
  client.send({ text: 'Context a speaks.', context_id: 'a' });
  client.send({ context_id: 'a', flush: true });
  const a = json(await client.until((d) => d.audio !== undefined && d.contextId === 'a'));
  t.same(audioOf(a), expected(['Context a speaks.'], 'am_adam'));
  client.send({ text: 'Half a thought', context_id: 'b' });
  client.send({ text: '', context_id: 'b' });
  client.send({ context_id: 'b', close_context: true });
  t.same(json(await client.until((d) => d.isFinal === true)).at(-1), { isFinal: true, contextId: 'b' }, 'b is final at once: its unflushed text was dropped');
  client.send({ close_socket: true });
  t.same(json(await client.until((d) => d.isFinal === true)).at(-1), { isFinal: true, contextId: 'a' });
  t.equal((await client.closed).code, 1000);
  t.notOk(host.pool.calls.some((c) => c.text.startsWith('Half')), 'the dropped text was never synthesized');
});

t.test('multi-stream: a refusal about one context names it and the socket goes on', async (t) => {
  const host = await startHost(t, { maxTurnChars: 40 });
  const client = await WsClient.open(url(host, 'af_heart', 'output_format=pcm_24000', true));
  client.send({ context_id: 'ghost', flush: true });
  t.match((await client.next()).data, { error: 'bad_message', contextId: 'ghost', message: String }, 'unknown context');
  client.send({ text: 'x'.repeat(41) + ' ', context_id: 'big' });
  const tooLong = (await client.next()).data as Json;
  t.match(tooLong, { error: 'text_too_long', contextId: 'big' });
  t.notOk('code' in tooLong, 'no close follows');
  client.send({ text: 'Still here.', context_id: 'ok' });
  client.send({ context_id: 'ok', close_context: false, flush: true });
  const frames = json(await client.until((d) => d.contextId === 'ok' && d.audio !== undefined));
  t.same(audioOf(frames.filter((f) => f.contextId === 'ok')), expected(['Still here.']));
});

t.test('bad input on stream-input: ElevenLabs error shape, then close 1008', async (t) => {
  const host = await startHost(t, { maxTurnChars: 20 });
  const cases: Array<[string, string, unknown, string]> = [
    ['unknown voice', url(host, 'NoSuchVoice123'), undefined, 'invalid_voice'],
    ['bad output_format', url(host, 'af_heart', 'output_format=opus_48000_64'), undefined, 'invalid_format'],
    ['malformed JSON', url(host, 'af_heart'), '{"text": ', 'bad_message'],
    ['oversize text', url(host, 'af_heart'), { text: 'y'.repeat(30) }, 'text_too_long'],
    ['flush without a context', url(host, 'af_heart'), { flush: true }, 'bad_message'],
  ];
  for (const [name, target, message, code] of cases) {
    const client = await WsClient.open(target);
    if (message !== undefined) client.send(message);
    const f = await client.next();
    t.match(f.data, { message: String, error: code, code: 1008 }, name);
    t.equal((await client.closed).code, 1008, `${name}: closed with 1008`);
  }
  t.equal(host.pool.calls.length, 0, 'nothing was synthesized');
});

t.test('auth: xi-api-key header or query; refused before the handshake without it', async (t) => {
  const host = await startHost(t, { apiKey: 'sekret' });
  await t.rejects(WsClient.open(url(host, 'af_heart')), /HTTP 401/);
  await t.rejects(WsClient.open(url(host, 'af_heart'), { headers: { 'xi-api-key': 'wrong' } }), /HTTP 401/);
  const byHeader = await WsClient.open(url(host, 'af_heart'), { headers: { 'xi-api-key': 'sekret' } });
  byHeader.close();
  const byQuery = await WsClient.open(url(host, 'af_heart', 'output_format=pcm_24000&xi_api_key=sekret'));
  byQuery.close();
  t.pass('both ways open the socket');
});

t.test('multi-stream: close_context lets flushed text play out; a flush after it is passed over', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold((req) => req.text.startsWith('Flushed'));
  const client = await WsClient.open(url(host, 'af_heart', 'output_format=pcm_24000', true));
  client.send({ text: ' ', context_id: 'c' });
  client.send({ text: 'Flushed sentence. ', context_id: 'c', flush: true });
  await hold.reached;
  client.send({ context_id: 'c', close_context: true });
  // LiveKit's plugin sends this after close_context.
  client.send({ text: '', context_id: 'c', flush: true });
  client.send({ text: 'Other context.', context_id: 'd', flush: true });
  await client.until((d) => d.contextId === 'd' && d.audio !== undefined);
  hold.release();
  const frames = json(await client.until((d) => d.isFinal === true && d.contextId === 'c'));
  t.same(audioOf(frames.filter((f) => f.contextId === 'c')), expected(['Flushed sentence.']), 'the flushed text was spoken');
  t.notOk(json(client.frames).some((f) => f.error !== undefined), 'no error for the flush of a closing context');
});
