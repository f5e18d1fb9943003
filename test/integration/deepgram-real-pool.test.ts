/**
 * The Deepgram Speak socket end to end through the REAL pool (one worker, one thread) on
 * the synthetic model, driven by the unmodified Deepgram SDK: the same audio as the native
 * protocol for the same text (one pipeline, two adapters), telephony encoding at 8 kHz,
 * and nothing left in the pool after Close.
 */
import alawmulaw from 'alawmulaw';
import t from 'tap';
import { audioOf, jsonOf, SpeakClient, wsBase } from '../helpers/deepgram-client.ts';
import { audioChunks, startRealPoolHost, WsClient } from '../helpers/gateway.ts';

const { pool, base, wsUrl } = await startRealPoolHost(t);
const text = 'Real synthesis through the Deepgram socket. It keeps going for a second sentence. Then it stops.';

t.test('Speak and Flush give the native pipeline audio, then Flushed; mulaw at 8 kHz lasts as long', async (t) => {
  const native = await WsClient.open(`${wsUrl}?voice=af_heart`);
  t.teardown(() => native.close());
  await native.json('ready');
  native.send({ type: 'speak', text, turn_id: 'n' });
  const chunks = audioChunks(await native.until((d) => d.type === 'tts_done', 60_000));
  const nativePcm = Buffer.concat(chunks.map((c) => c.pcm));
  t.ok(chunks.length >= 2, `several chunks (${chunks.length})`);

  const client = await SpeakClient.open(t, wsBase(base), { model: 'aura-2-thalia-en' });
  client.speak(text);
  client.flush();
  const messages = await client.until('Flushed', 60_000);
  t.same(await audioOf(messages), nativePcm, 'linear16 at 24 kHz: byte for byte the native audio');
  t.same(jsonOf(messages).at(-1), { type: 'Flushed', sequence_id: 0 });
  t.equal(messages.at(-1)!.kind, 'json', 'Flushed after the last audio');

  const phone = await SpeakClient.open(t, wsBase(base), { model: 'aura-2-thalia-en', encoding: 'mulaw', sample_rate: '8000' });
  phone.speak(text);
  phone.flush();
  const coded = await audioOf(await phone.until('Flushed', 60_000));
  const seconds = nativePcm.length / 2 / 24000;
  const decoded = alawmulaw.mulaw.decode(coded);
  t.ok(Math.abs(decoded.length / 8000 - seconds) <= 0.05 * seconds, `${(decoded.length / 8000).toFixed(3)} s at 8 kHz for ${seconds.toFixed(3)} s synthesized`);
  phone.sendClose();
  t.equal((await phone.closed).code, 1000);
  client.sendClose();
  t.equal((await client.closed).code, 1000);
  t.equal(pool.health().inFlight, 0, 'nothing left in the pool');
});
