/**
 * The plain HTTP surface: probes, metrics, voices and models, OpenAI-style errors,
 * limits and auth.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import t from 'tap';
import { startHost } from '../helpers/gateway.ts';

// Values as Prometheus parses them (Go's ParseFloat: NaN and Inf in any case; prom-client writes 'Nan').
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? ([Nn][Aa][Nn]|[+-]?[Ii]nf|[+-]?\d+(\.\d+)?([eE][+-]?\d+)?)( -?\d+)?$/;
const COMMENT = /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/;

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

t.test('/healthz answers 200 whatever the pool state', async (t) => {
  const host = await startHost(t);
  host.pool.setHealth({ reasons: ['worker_zombie'] });
  const res = await fetch(`${host.base}/healthz`);
  t.equal(res.status, 200);
  t.match(await json(res), { status: 'ok' });
});

t.test('/readyz is 200 when the pool is ready and 503 with its reasons when not', async (t) => {
  const host = await startHost(t);
  const ok = await fetch(`${host.base}/readyz`);
  t.equal(ok.status, 200);
  t.match(await json(ok), { ready: true, reasons: [], pool: { loaded_workers: 1 } });
  host.pool.setHealth({ reasons: ['worker_zombie'] });
  const zombie = await fetch(`${host.base}/readyz`);
  t.equal(zombie.status, 503);
  t.match(await json(zombie), { ready: false, reasons: ['worker_zombie'] });
});

t.test('/metrics is Prometheus text with Node, pool, gateway and event-loop metrics', async (t) => {
  const host = await startHost(t);
  const res = await fetch(`${host.base}/metrics`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain/);
  const lines = (await res.text()).split('\n').filter((l) => l !== '');
  const bad = lines.filter((l) => !SAMPLE.test(l) && !COMMENT.test(l));
  t.same(bad, [], 'every line is a sample or a HELP/TYPE comment');
  const names = new Set(lines.filter((l) => !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
  for (const name of ['nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes', 'kokoro_queue_depth', 'kokoro_ws_connections', 'kokoro_event_loop_delay_p50_seconds', 'kokoro_event_loop_delay_p99_seconds']) {
    t.ok(names.has(name), name);
  }
});

t.test('/debug/eventloop reports p50/p99/max in ms and resets on ?reset=1', async (t) => {
  const host = await startHost(t);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const first = await json(await fetch(`${host.base}/debug/eventloop?reset=1`));
  for (const key of ['p50_ms', 'p99_ms', 'max_ms']) t.type(first[key], 'number', key);
  t.ok((first.samples as number) > 0, 'samples were taken');
  const after = await json(await fetch(`${host.base}/debug/eventloop`));
  t.ok((after.samples as number) < (first.samples as number), 'the window restarted');
});

t.test('voices (both paths) list language and gender, plus the OpenAI aliases; models list the accepted names', async (t) => {
  const host = await startHost(t);
  for (const path of ['/v1/voices', '/v1/audio/voices']) {
    const body = await json(await fetch(`${host.base}${path}`));
    const voices = body.voices as Array<Record<string, unknown>>;
    t.match(voices.find((v) => v.id === 'af_heart'), { language: 'en-us', gender: 'female' }, path);
    t.match(voices.find((v) => v.id === 'bm_george'), { language: 'en-gb', gender: 'male' }, path);
    t.match((body.aliases as Array<Record<string, unknown>>).find((a) => a.id === 'alloy'), { voice: 'af_alloy' }, path);
  }
  const models = await json(await fetch(`${host.base}/v1/models`));
  t.same((models.data as Array<{ id: string }>).map((m) => m.id), ['kokoro', 'tts-1', 'tts-1-hd', 'gpt-4o-mini-tts']);
});

t.test('errors are OpenAI-shaped with the right status', async (t) => {
  const host = await startHost(t, { bodyLimitBytes: 1024 });
  const post = (body: string, type = 'application/json') => fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': type }, body });
  const cases: Array<[Promise<Response>, number, string]> = [
    [fetch(`${host.base}/v1/nothing-here?api_key=x`), 404, 'invalid_request'],
    [post('{"model":'), 400, 'invalid_request'],
    [post(JSON.stringify({ model: 'tts-1', input: 'x'.repeat(2000) })), 413, 'invalid_request'],
    [post('model=tts-1', 'application/x-www-form-urlencoded'), 415, 'invalid_request'],
    [fetch(`${host.base}/v1/tts/ws`), 426, 'invalid_request'],
  ];
  for (const [pending, status, code] of cases) {
    const res = await pending;
    const body = await json(res);
    t.equal(res.status, status);
    t.match(body, { error: { code, type: 'invalid_request_error', message: String } });
    t.notMatch(JSON.stringify(body), /api_key=x|\/work\//, 'no secrets or paths echoed');
  }
});

t.test('a request (or WebSocket upgrade) whose headers never finish is closed with 408 at the headers timeout', async (t) => {
  const host = await startHost(t, { headersTimeoutMs: 200 });
  const { port } = new URL(host.base);
  const socket = connect(Number(port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  socket.write('GET /v1/tts/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  await once(socket, 'close');
  t.match(received, /^HTTP\/1\.1 408/);
});

t.test('with an API key: 401 without it on API routes; probes and metrics stay open', async (t) => {
  const host = await startHost(t, { apiKey: 'sekret' });
  for (const path of ['/healthz', '/readyz', '/metrics']) t.equal((await fetch(`${host.base}${path}`)).status, 200, path);
  const denied = await fetch(`${host.base}/v1/voices`);
  t.equal(denied.status, 401);
  t.match(await json(denied), { error: { code: 'unauthorized', type: 'authentication_error' } });
  t.equal((await fetch(`${host.base}/v1/voices`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  t.equal((await fetch(`${host.base}/v1/voices?api_key=sekret`)).status, 401, 'the query key is for WebSocket upgrades only');
  t.equal((await fetch(`${host.base}/v1/voices`, { headers: { authorization: 'Bearer sekret' } })).status, 200);
  const speech = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(speech.status, 401, 'auth runs before validation');
});

t.test('past KOKORO_MAX_EVENT_LOOP_DELAY_MS, HTTP synthesis answers 503 overloaded with Retry-After; probes stay 200 (B22)', async (t) => {
  const host = await startHost(t, { maxEventLoopDelayMs: 50 });
  const speak = () => fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tts-1', input: 'Hello.', voice: 'alloy', response_format: 'wav' }) });
  t.equal((await speak()).status, 200, 'served while the loop is free');
  // Starve this process's event loop (the app's too) for 2.5 s: 200 ms blocks with one loop
  // turn between them. Every 1 s under-pressure sample inside that window averages ~200 ms of
  // delay, whatever its phase (one long block would be averaged with the free ticks before it).
  const end = performance.now() + 2500;
  while (performance.now() < end) {
    const blockEnd = performance.now() + 200;
    while (performance.now() < blockEnd);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const refused = await speak();
  t.equal(refused.status, 503);
  t.ok(refused.headers.get('retry-after') !== null, 'with Retry-After');
  t.match(await json(refused), { error: { code: 'overloaded' } });
  t.equal((await fetch(`${host.base}/healthz`)).status, 200, 'liveness is exempt');
  t.equal((await fetch(`${host.base}/metrics`)).status, 200, 'metrics are exempt');
  // The next sample, a second later with a free loop, lifts it.
  const deadline = performance.now() + 5000;
  let status = 503;
  while (status === 503 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await speak()).status;
  }
  t.equal(status, 200, 'served again once the loop is free');
});
