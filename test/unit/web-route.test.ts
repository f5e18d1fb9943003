/**
 * The playground's HTTP side (src/gateway/web-route.ts) and the ways its key travels:
 * the page is served from memory with no outside URL, KOKORO_WEB=0 turns it off, it stays
 * public under KOKORO_API_KEY while the API does not, and the native socket takes the key
 * as the `bearer, <key>` subprotocol (so it never has to be in a URL).
 */
import t from 'tap';
import WebSocket from 'ws';
import { WEB_FILES } from '../../src/gateway/web-route.ts';
import { SPEECH_FORMATS } from '../../src/protocols/openai/encoders/index.ts';
import { startHost, WsClient } from '../helpers/gateway.ts';

t.test('GET / and every asset: same-origin only, no external URL, with a CSP', async (t) => {
  const host = await startHost(t);
  const page = await fetch(`${host.base}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  for (const file of WEB_FILES) {
    const res = await fetch(`${host.base}/web/${file}`);
    t.equal(res.status, 200, `${file} is served`);
    t.notMatch(await res.text(), /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, `${file} names no outside URL (works offline, no CDN)`);
  }
});

t.test('only the page\'s own files are served under /web/', async (t) => {
  const host = await startHost(t);
  for (const path of ['/web/../package.json', '/web/%2e%2e%2fpackage.json', '/web/nothing.js', '/web/']) {
    const res = await fetch(`${host.base}${path}`);
    t.equal(res.status, 404, `${path} is 404`);
  }
});

t.test('/web/config.json offers exactly the formats the speech route encodes', async (t) => {
  const host = await startHost(t);
  const config = (await (await fetch(`${host.base}/web/config.json`)).json()) as { formats: string[]; auth: boolean; sample_rate: number };
  t.equal(config.auth, false);
  t.equal(config.sample_rate, 24000);
  for (const format of SPEECH_FORMATS) {
    const res = await fetch(`${host.base}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'kokoro', input: 'Hi.', voice: 'af_heart', response_format: format }),
    });
    await res.arrayBuffer();
    t.equal(config.formats.includes(format), res.status === 200, `${format}: offered iff the route serves it (${res.status})`);
  }
});

t.test('KOKORO_WEB=0: no page, no assets', async (t) => {
  const host = await startHost(t, { web: false });
  for (const path of ['/', '/web/app.js', '/web/config.json']) t.equal((await fetch(`${host.base}${path}`)).status, 404, `${path} is 404`);
  t.equal((await fetch(`${host.base}/v1/voices`)).status, 200, 'the API is unchanged');
});

t.test('with KOKORO_API_KEY the page is public, the API is not, and the page knows to ask', async (t) => {
  const host = await startHost(t, { apiKey: 'page-key' });
  t.equal((await fetch(`${host.base}/`)).status, 200);
  t.equal((await fetch(`${host.base}/web/app.js`)).status, 200);
  t.match(await (await fetch(`${host.base}/web/config.json`)).json(), { auth: true });
  t.equal((await fetch(`${host.base}/v1/voices`)).status, 401, 'the API still needs the key');
});

t.test('the native socket takes the key as the "bearer, <key>" subprotocol; a wrong one is 401', async (t) => {
  const host = await startHost(t, { apiKey: 'page-key' });
  const status = (protocols: string[] | undefined) =>
    WsClient.open(host.wsUrl, protocols === undefined ? {} : { headers: { 'sec-websocket-protocol': protocols.join(', ') } }).then(
      (c) => (c.close(), 101),
      (err: { statusCode?: number }) => err.statusCode,
    );
  t.equal(await status(undefined), 401, 'no key: 401');
  t.equal(await status(['bearer', 'nope']), 401, 'a wrong key in the subprotocol: 401');
  t.equal(await status(['bearer']), 401, 'the bearer protocol without a key: 401');
  // As a browser does it: new WebSocket(url, ['bearer', key]).
  const ws = new WsClient(new WebSocket(host.wsUrl, ['bearer', 'page-key']));
  t.teardown(() => ws.close());
  t.match(await ws.json('ready'), { type: 'ready' }, 'the right key opens the session');
  t.equal(ws.ws.protocol, 'bearer', 'the host answers with "bearer", never echoing the key');
});

t.test('/readyz names the model file and flags the synthetic one', async (t) => {
  const host = await startHost(t, { modelPath: '/somewhere/models/synthetic/kokoro-synthetic.onnx' });
  t.match(await (await fetch(`${host.base}/readyz`)).json(), { model: { file: 'kokoro-synthetic.onnx', synthetic: true } });
  const genuine = await startHost(t, { modelPath: '/somewhere/models/kokoro/model_quantized.onnx' });
  const body = (await (await fetch(`${genuine.base}/readyz`)).json()) as { model: unknown };
  t.same(body.model, { file: 'model_quantized.onnx', synthetic: false }, 'no path in the public probe');
});
