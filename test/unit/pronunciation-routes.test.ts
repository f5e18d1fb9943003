/**
 * Pronunciation control on the wire (fake pool: what reaches synthesis is visible in its
 * calls): bad tags, bad SSML and bad phonemes get their codes and queue nothing; good SSML,
 * phoneme input and inline tags reach synthesis as markup; the socket protocols refuse a
 * message with a bad tag and keep going; /v1/phonemize and the /dev/ paths answer.
 */
import t, { type Test } from 'tap';
import { startHost, WsClient, type Host } from '../helpers/gateway.ts';
import { SpeakClient, wsBase } from '../helpers/deepgram-client.ts';

async function speech(host: Host, body: Record<string, unknown>): Promise<{ status: number; json?: { error: { code: string } }; bytes: number }> {
  const res = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kokoro', voice: 'af_heart', response_format: 'pcm', ...body }) });
  const buf = Buffer.from(await res.arrayBuffer());
  if (res.status === 200) return { status: 200, bytes: buf.length };
  return { status: res.status, json: JSON.parse(buf.toString()) as { error: { code: string } }, bytes: buf.length };
}

t.test('bad inline tags: invalid_markup, nothing queued', async (t) => {
  const host = await startHost(t);
  for (const input of ['Wait [pause:abc] now.', 'Wait [pause:5] now.', 'Wait [pause:11s] now.', 'Say [this](/ðɪs§/) now.', 'Say [this](/ðɪs now.', 'Say [this](//) now.', `Say [long](/${'ðɪs '.repeat(80)}/) now.`]) {
    const r = await speech(host, { input });
    t.equal(r.status, 400, input);
    t.equal(r.json?.error.code, 'invalid_markup', input);
  }
  t.equal(host.pool.calls.length, 0, 'nothing reached synthesis');
  const ok = await speech(host, { input: 'Footnote [1] and [citation needed] are text.' });
  t.equal(ok.status, 200, 'brackets that are no tag are ordinary text');
});

t.test('inline tags reach synthesis whole, in their chunk', async (t) => {
  const host = await startHost(t);
  const input = 'We flew to [New York](/nˈuː jˈɔːɹk/) and waited. [pause:0.5s] Then we flew home.';
  t.equal((await speech(host, { input })).status, 200);
  const sent = host.pool.calls.map((c) => c.text).join(' ');
  t.match(sent, '[New York](/nˈuː jˈɔːɹk/)');
  t.match(sent, '[pause:0.5s]');
});

t.test('bad SSML: invalid_ssml, nothing queued', async (t) => {
  const host = await startHost(t);
  const bad = [
    '<speak>Hello <break time="1s"> world</speak>',
    '<speak>Hello <emphasis>world</emphasis></speak>',
    '<speak>Hello <break time="soon"/></speak>',
    '<speak>Hello <say-as interpret-as="date">2024</say-as></speak>',
    '<speak>Hello <phoneme ph="§§">x</phoneme></speak>',
    '<speak>Hello <prosody rate="ludicrous">x</prosody></speak>',
    '<speak>Hello</speak> trailing',
    '<speak>Hello &nbsp; world</speak>',
    '<speak>Hello <sub>WWW</sub></speak>',
    '<speak>Hello',
  ];
  for (const input of bad) {
    const r = await speech(host, { input });
    t.equal(r.json?.error.code, 'invalid_ssml', input);
    t.equal(r.status, 400);
  }
  t.equal(host.pool.calls.length, 0);
});

t.test('the SSML subset becomes markup, and prosody a chunk speed', async (t) => {
  const host = await startHost(t);
  const input =
    '<speak>Call <say-as interpret-as="telephone">555-0100</say-as>. <break time="500ms"/> ' +
    'Say <phoneme alphabet="ipa" ph="kˈOkəɹO">Kokoro</phoneme> and <sub alias="World Wide Web">WWW</sub>, ' +
    'spelled <say-as interpret-as="characters">ABC</say-as>, <say-as interpret-as="cardinal">12,345</say-as> times. ' +
    '<prosody rate="slow">This part is slow.</prosody> Back to normal &amp; done.</speak>';
  t.equal((await speech(host, { input, speed: 1 })).status, 200);
  const sent = host.pool.calls.map((c) => c.text).join(' ');
  for (const part of ['5 5 5, 0 1 0 0', '[pause:0.5s]', '[Kokoro](/kˈOkəɹO/)', 'World Wide Web', 'A B C', '12345', '& done']) t.match(sent, part, part);
  t.notMatch(sent, /<|WWW/, 'no SSML left');
  const slow = host.pool.calls.filter((c) => c.text.includes('slow'));
  t.ok(slow.length > 0 && slow.every((c) => c.speed === 0.8), 'the prosody run at 0.8');
  t.ok(host.pool.calls.filter((c) => !c.text.includes('slow')).every((c) => c.speed === 1), 'the rest at the request speed');
});

t.test('phoneme input: checked, then synthesized as phoneme tags', async (t) => {
  const host = await startHost(t);
  const bad = await speech(host, { input: 'həlˈO §', input_type: 'phonemes' });
  t.equal(bad.json?.error.code, 'invalid_phonemes');
  const long = await speech(host, { input: 'a'.repeat(600), input_type: 'phonemes' });
  t.equal(long.json?.error.code, 'invalid_phonemes', 'one phoneme word too long for any chunk');
  const type = await speech(host, { input: 'x', input_type: 'klingon' });
  t.equal(type.json?.error.code, 'invalid_request');
  t.equal(host.pool.calls.length, 0);
  t.equal((await speech(host, { input: 'həlˈO wˈɜɹld. ɡʊd bˈaɪ!', input_type: 'phonemes' })).status, 200);
  t.same(host.pool.calls.map((c) => c.text).join(' '), '[](/həlˈO wˈɜɹld./) [](/ɡʊd bˈaɪ!/)');
});

t.test('long phoneme input: cut into tags, no chunk over the model limit, nothing lost', async (t) => {
  const host = await startHost(t);
  const words = Array.from({ length: 400 }, (_, i) => ['həlˈO', 'wˈɜɹld', 'ðə', 'kˈOkəɹO'][i % 4]!);
  const input = words.join(' ');
  t.equal((await speech(host, { input, input_type: 'phonemes' })).status, 200);
  const calls = host.pool.calls.map((c) => c.text);
  t.ok(calls.length > 1, `several chunks (${calls.length})`);
  const phonemes = calls.flatMap((c) => [...c.matchAll(/\[\]\(\/([^/]*)\/\)/g)].map((m) => m[1]!));
  t.equal(phonemes.join(' '), input, 'every phoneme, in order, in whole tags');
  for (const c of calls) t.ok([...c.replace(/[[\]()/ ]/g, '')].length <= 510, 'within the model limit');
});

t.test('/dev/generate_from_phonemes answers WAV; /v1/phonemize and /dev/phonemize answer phonemes and tokens', async (t) => {
  const host = await startHost(t);
  const res = await fetch(`${host.base}/dev/generate_from_phonemes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phonemes: 'həlˈO.', voice: 'af_heart' }) });
  t.equal(res.status, 200);
  t.equal(Buffer.from(await res.arrayBuffer()).toString('ascii', 0, 4), 'RIFF');
  const bad = await fetch(`${host.base}/dev/generate_from_phonemes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phonemes: '§', voice: 'af_heart' }) });
  t.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_phonemes');
  for (const path of ['/v1/phonemize', '/dev/phonemize']) {
    const r = await fetch(`${host.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Hello [Kokoro](/kˈOkəɹO/)!', language: 'a' }) });
    const body = (await r.json()) as { phonemes: string; tokens: number[] };
    t.equal(r.status, 200);
    t.match(body.phonemes, /^həlˈoʊ kˈOkəɹO/, path);
    t.equal(body.tokens.length, [...body.phonemes].length, 'a token per symbol');
  }
  const lang = await fetch(`${host.base}/v1/phonemize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hola', language: 'x' }) });
  t.equal(((await lang.json()) as { error: { code: string } }).error.code, 'invalid_request');
  const tag = await fetch(`${host.base}/v1/phonemize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'a [pause:x]' }) });
  t.equal(((await tag.json()) as { error: { code: string } }).error.code, 'invalid_markup');
});

async function wsSession(t: Test, url: string): Promise<WsClient> {
  const client = await WsClient.open(url);
  t.teardown(() => client.close());
  await client.json('ready');
  return client;
}

t.test('native ws: a message with a bad tag is refused with invalid_markup; the session goes on', async (t) => {
  const host = await startHost(t);
  const client = await wsSession(t, host.wsUrl);
  client.send({ type: 'text', text: 'Wait [pause:forever] here.', turn_id: 'a' });
  const err = await client.json('error');
  t.match(err, { code: 'bad_message', reason: 'invalid_markup', recoverable: true }, 'ws-v1 has no invalid_markup: its bad_message, the code in reason');
  client.send({ type: 'speak', text: 'Wait [pause:0.5s] here.', turn_id: 'a' });
  await client.json('tts_done');
  t.same(host.pool.calls.map((c) => c.text), ['Wait [pause:0.5s] here.'], 'only the good text reached synthesis');
});

t.test('Deepgram: a Speak with a bad tag is dropped with a Warning invalid_markup', async (t) => {
  const host = await startHost(t);
  const client = await SpeakClient.open(t, wsBase(host.base));
  client.speak('Say [it](/ɪt§/) now.');
  t.match(await client.json('Warning'), { code: 'invalid_markup' });
  client.speak('Say [it](/ɪt/) now.');
  client.flush();
  await client.json('Flushed');
  t.same(host.pool.calls.map((c) => c.text), ['Say [it](/ɪt/) now.']);
});
