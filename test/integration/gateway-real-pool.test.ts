/**
 * End to end through the REAL pool (one worker, one thread) on the synthetic model:
 * WebSocket turns and an OpenAI speech request, and no work left behind after a
 * disconnect.
 */
import { once } from 'node:events';
import t from 'tap';
import OpenAI from 'openai';
import { audioChunks, jsonFrames, startRealPoolHost, WsClient } from '../helpers/gateway.ts';

const { app, pool, base, wsUrl } = await startRealPoolHost(t);

t.test('readyz is green once the real pool has loaded', async (t) => {
  const res = await fetch(`${base}/readyz`);
  t.equal(res.status, 200);
});

t.test('a WebSocket turn streams every chunk in order and ends with tts_done', async (t) => {
  const client = await WsClient.open(wsUrl);
  t.teardown(() => client.close());
  await client.json('ready');
  const text = 'Real synthesis starts here, phrase by phrase. It keeps going for a second sentence. Then it stops.';
  client.send({ type: 'speak', text, turn_id: 'r' });
  const frames = await client.until((d) => d.type === 'tts_done', 60_000);
  const chunks = audioChunks(frames);
  t.ok(chunks.length >= 2);
  t.same(chunks.map((c) => c.meta.index), chunks.map((_, i) => i));
  for (const c of chunks) t.equal(c.pcm.length, (c.meta.samples as number) * 2);
  t.match(jsonFrames(frames).at(-1), { type: 'tts_done', turn_id: 'r', chunks: chunks.length, failed: 0 });

  client.send({ type: 'speak', text: chunks[1]!.meta.text as string, turn_id: 'alone' });
  const [alone] = audioChunks(await client.until((d) => d.type === 'tts_done' && d.turn_id === 'alone', 60_000));
  t.same(alone?.pcm, chunks[1]!.pcm, 'a phrase sounds the same requested alone');
});

t.test('the OpenAI client gets a WAV of the right rate', async (t) => {
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'x', maxRetries: 0 });
  const res = await openai.audio.speech.create({ model: 'kokoro', voice: 'af_heart', input: 'Hello from the real pool.', response_format: 'wav' });
  const wav = Buffer.from(await res.arrayBuffer());
  t.equal(wav.toString('ascii', 0, 4), 'RIFF');
  t.equal(wav.readUInt32LE(24), 24000);
  t.ok(wav.length > 44 + 2 * 2400, 'more than 0.1 s of audio');
});

t.test('an abrupt disconnect mid-turn leaves nothing in flight in the pool', async (t) => {
  const client = await WsClient.open(wsUrl);
  await client.json('ready');
  client.send({ type: 'speak', text: 'One sentence to start. '.repeat(12) });
  await client.json('tts_meta', 60_000);
  client.ws.terminate();
  const lifecycle = app.gateway.lifecycle;
  while (lifecycle.size > 0) await once(lifecycle, 'changed');
  t.equal(pool.health().queueDepth, 0, 'queued chunks of the gone session were dropped at once');
  // One worker, fair queue: once a later request is served, the running chunk has finished too.
  const next = await WsClient.open(wsUrl);
  t.teardown(() => next.close());
  await next.json('ready');
  next.send({ type: 'speak', text: 'After.' });
  await next.json('tts_done', 60_000);
  t.equal(pool.health().inFlight, 0, 'pool in-flight back to 0');
});
