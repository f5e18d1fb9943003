/**
 * The shared socket machinery on the ElevenLabs and Cartesia sockets: one host-wide
 * connection cap with the other protocols (and its gauge per protocol), the message rate
 * limit closing with each protocol's own error, a disconnect cancelling the session's pool
 * work, and the shutdown drain finishing a flushed generation before it closes with 1001.
 */
import { once } from 'node:events';
import { Registry } from 'prom-client';
import t from 'tap';
import { buildApp } from '../../src/app.ts';
import { createMetrics } from '../../src/metrics.ts';
import { FakePool } from '../helpers/fake-pool.ts';
import { gatewayConfig, startHost, WsClient, type Host } from '../helpers/gateway.ts';

const ws = (base: string) => base.replace(/^http/, 'ws');
const eleven = (base: string) => `${ws(base)}/v1/text-to-speech/af_heart/multi-stream-input?output_format=pcm_24000`;
const cartesia = (base: string) => `${ws(base)}/tts/websocket`;
const generation = (contextId: string, transcript: string, more = false) => ({
  context_id: contextId,
  transcript,
  voice: { mode: 'id', id: 'af_heart' },
  output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 },
  continue: more,
});

t.test('one connection cap for every protocol; the gauge counts each', async (t) => {
  const host: Host = await startHost(t, { maxConnections: 2 });
  const a = await WsClient.open(eleven(host.base));
  const b = await WsClient.open(cartesia(host.base));
  t.teardown(() => {
    a.ws.terminate();
    b.ws.terminate();
  });
  await t.rejects(WsClient.open(host.wsUrl), /HTTP 503/, 'a native session is refused');
  await t.rejects(WsClient.open(cartesia(host.base)), /HTTP 503/, 'and a Cartesia one');
  const gauge = await host.metrics.registry.getSingleMetricAsString('kokoro_ws_connections');
  t.match(gauge, /protocol="elevenlabs"} 1/);
  t.match(gauge, /protocol="cartesia"} 1/);
});

t.test("a message flood closes with 1008 after the protocol's own error", async (t) => {
  const host = await startHost(t, { wsMessagesPerSecond: 1, wsMessageBurst: 3 });
  const a = await WsClient.open(eleven(host.base));
  for (let i = 0; i < 10; i++) a.send({ context_id: 'x', close_context: true });
  t.match((await a.next((f) => f.kind === 'json' && f.data.error === 'rate_limited')).data, { message: String, error: 'rate_limited' });
  t.equal((await a.closed).code, 1008);
  const c = await WsClient.open(cartesia(host.base));
  for (let i = 0; i < 10; i++) c.send({ context_id: 'x', cancel: true });
  t.match((await c.next()).data, { type: 'error', code: 'rate_limited', status_code: 429 });
  t.equal((await c.closed).code, 1008);
});

t.test("a disconnect mid-generation cancels the session's work in the pool", async (t) => {
  const host = await startHost(t);
  for (const target of [eleven(host.base), cartesia(host.base)]) {
    const hold = host.pool.hold(() => true);
    const client = await WsClient.open(target);
    if (target.includes('tts/websocket')) client.send(generation('g', 'One sentence here. Two sentences here.'));
    else client.send({ text: 'One sentence here. Two sentences here.', context_id: 'g', flush: true });
    await hold.reached;
    const cancelled = once(host.pool, 'cancel_owner');
    client.ws.terminate();
    t.equal((await cancelled).length, 1, `${target.includes('tts') ? 'cartesia' : 'elevenlabs'}: the owner is cancelled`);
    hold.release();
    await host.pool.idle();
  }
});

t.test('shutdown: a flushed generation is finished, then the error and 1001', async (t) => {
  const pool = new FakePool();
  const app = await buildApp(gatewayConfig({ shutdownGraceMs: 10_000 }), { pool, metrics: createMetrics(new Registry()) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const hold = pool.hold(() => true);
  const c = await WsClient.open(cartesia(base));
  c.send(generation('s', 'Finishing this reply.'));
  await hold.reached;
  const closing = app.close();
  await once(app.gateway.lifecycle, 'shutting_down');
  c.send(generation('new', 'A new reply.'));
  t.match((await c.next()).data, { type: 'error', code: 'shutting_down', context_id: 'new' }, 'no new context while draining');
  hold.release();
  const rest = (await c.until((d) => d.type === 'error')).flatMap((f) => (f.kind === 'json' ? [f.data.type] : []));
  t.same(rest.filter((x) => x !== 'chunk'), ['done', 'error'], 'the audio, done, then the error');
  t.equal(rest[0], 'chunk');
  t.equal((await c.closed).code, 1001);
  await closing;
});
