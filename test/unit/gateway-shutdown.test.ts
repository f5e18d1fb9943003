/**
 * Graceful shutdown (matrix C3): readiness drops at once, new work is refused, in-flight
 * turns finish within the grace period, the rest get `shutting_down` and 1001, and the
 * pool is closed last.
 */
import { once } from 'node:events';
import t from 'tap';
import { buildApp } from '../../src/app.ts';
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/metrics.ts';
import { FakePool } from '../helpers/fake-pool.ts';
import { gatewayConfig, jsonFrames, WsClient } from '../helpers/gateway.ts';

async function host(grace: number) {
  const pool = new FakePool();
  const app = await buildApp(gatewayConfig({ shutdownGraceMs: grace }), { pool, metrics: createMetrics(new Registry()) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, pool, base: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/v1/tts/ws` };
}

t.test('in-flight turns finish; idle sessions and new work are turned away; the pool closes last', async (t) => {
  const h = await host(10_000);
  const hold = h.pool.hold(() => true);
  const busy = await WsClient.open(h.wsUrl);
  const idle = await WsClient.open(h.wsUrl);
  await Promise.all([busy.json('ready'), idle.json('ready')]);
  busy.send({ type: 'speak', text: 'Finishing this turn.', turn_id: 'last' });
  await hold.reached;

  const lifecycle = h.app.gateway.lifecycle;
  const closing = h.app.close();
  await once(lifecycle, 'shutting_down');

  const ready = await fetch(`${h.base}/readyz`);
  t.equal(ready.status, 503);
  t.match(await ready.json(), { ready: false, reasons: ['shutting_down'] });

  const idleFrames = jsonFrames(await idle.until((d) => d.type === 'error'));
  t.match(idleFrames.at(-1), { code: 'shutting_down', recoverable: false });
  t.equal((await idle.closed).code, 1001, 'an idle session closes at once with 1001');

  const refusedWs = await WsClient.open(h.wsUrl).then(
    () => null,
    (err: { statusCode?: number }) => err,
  );
  t.equal(refusedWs?.statusCode, 503, 'no new sessions');
  const refusedHttp = await fetch(`${h.base}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', input: 'Hi.', voice: 'alloy' }),
  });
  t.equal(refusedHttp.status, 503);
  t.match(await refusedHttp.json(), { error: { code: 'shutting_down' } });

  busy.send({ type: 'speak', text: 'A new turn.', turn_id: 'new' });
  t.match(await busy.json('error'), { code: 'shutting_down', recoverable: false, turn_id: 'new' }, 'no new turns while draining');
  t.notOk(h.pool.closed, 'the pool is still open while a turn is in flight');

  hold.release();
  t.match(await busy.json('tts_done'), { turn_id: 'last', failed: 0 }, 'the in-flight turn finished');
  t.match(await busy.json('error'), { code: 'shutting_down', recoverable: false });
  t.equal((await busy.closed).code, 1001);
  await closing;
  t.ok(h.pool.closed, 'the pool was closed');
  t.equal(h.pool.calls.filter((c) => c.text === 'A new turn.').length, 0);
});

t.test('turns still open when the grace period ends are cut: shutting_down, 1001, pool work cancelled', async (t) => {
  const h = await host(200);
  const hold = h.pool.hold(() => true);
  const client = await WsClient.open(h.wsUrl);
  const ready = await client.json('ready');
  client.send({ type: 'speak', text: 'Never finishes. Not this one either.' });
  await hold.reached;
  const cancelled = once(h.pool, 'cancel_owner');
  await h.app.close();
  t.match(await client.json('error'), { code: 'shutting_down', recoverable: false });
  t.equal((await client.closed).code, 1001);
  t.same(await cancelled, [ready.session_id]);
  t.equal(h.pool.inFlight, 0, 'held work was cancelled');
  hold.release();
});

t.test('an HTTP stream in flight finishes within the grace period', async (t) => {
  const h = await host(10_000);
  const hold = h.pool.hold((req) => req.text.startsWith('Second'));
  const res = await fetch(`${h.base}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', input: 'First sentence is here. Second sentence is held.', voice: 'alloy', response_format: 'pcm' }),
  });
  t.equal(res.status, 200);
  const body = res.arrayBuffer();
  await hold.reached;
  const closing = h.app.close();
  await once(h.app.gateway.lifecycle, 'shutting_down');
  hold.release();
  const bytes = (await body).byteLength;
  const expected = h.pool.calls.reduce((n, c) => n + c.text.length * 240 * 2, 0);
  t.equal(bytes, expected, 'the whole stream arrived');
  await closing;
});
