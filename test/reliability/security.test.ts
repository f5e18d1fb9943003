/**
 * The security basics against the real host as a child process (the protocol file's host
 * settings, test/helpers/reliability-host.ts): the bearer token on HTTP and the upgrade,
 * voices checked against the catalogue before dispatch, size limits, and error bodies and
 * frames that leak no stack, path or secret.
 */
import t from 'tap';
import { jsonFrames, WsClient } from '../helpers/gateway.ts';
import { within } from '../../harness/host-process.ts';
import { API_KEY, AUTH, MAX_PAYLOAD, BODY_LIMIT, startReliabilityHost } from '../helpers/reliability-host.ts';

const reliability = await startReliabilityHost(t);
const { host } = reliability;
const open = reliability.open.bind(reliability);
const poolTasks = reliability.poolTasks.bind(reliability);

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
