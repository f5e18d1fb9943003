/**
 * The ElevenLabs and Cartesia sockets end to end through the REAL pool (one worker, one
 * thread) on the synthetic model: the same audio as the native protocol for the same text
 * (one turn, several renderers), and word timing rendered whichever way the pool answers:
 * character alignment / timestamps consistent with the phrase when the worker times words,
 * `null` / no timestamps message while it cannot.
 */
import t from 'tap';
import { audioChunks, startRealPoolHost, WsClient, type Frame } from '../helpers/gateway.ts';

const { pool, base, wsUrl } = await startRealPoolHost(t);
const text = 'Real synthesis through another socket. It keeps going for a second sentence. Then it stops.';
const ws = base.replace(/^http/, 'ws');

type Json = Record<string, unknown>;
const json = (frames: readonly Frame[]): Json[] => frames.filter((f) => f.kind === 'json').map((f) => f.data as Json);

const native = await WsClient.open(`${wsUrl}?voice=af_heart`);
await native.json('ready');
native.send({ type: 'speak', text, turn_id: 'n' });
const nativePcm = Buffer.concat(audioChunks(await native.until((d) => d.type === 'tts_done', 60_000)).map((c) => c.pcm));
native.close();

t.test('ElevenLabs stream-input: the native audio byte for byte; alignment null or consistent', async (t) => {
  const client = await WsClient.open(`${ws}/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream-input?output_format=pcm_24000`);
  client.send({ text: ' ' });
  client.send({ text });
  client.send({ text: '' });
  const frames = json(await client.until((d) => d.isFinal === true, 60_000));
  const audio = frames.filter((f) => typeof f.audio === 'string');
  t.same(Buffer.concat(audio.map((f) => Buffer.from(f.audio as string, 'base64'))), nativePcm);
  for (const f of audio) {
    const a = f.alignment as { chars: string[]; charStartTimesMs: number[]; charDurationsMs: number[] } | null;
    if (a === null) {
      t.equal(f.normalizedAlignment, null, 'no word times: no alignment');
      continue;
    }
    const ms = (Buffer.from(f.audio as string, 'base64').length / 2 / 24000) * 1000;
    t.ok(a.chars.join('').trim().length > 0, 'the phrase, character by character');
    t.ok(a.charStartTimesMs.every((s, i) => i === 0 || s >= a.charStartTimesMs[i - 1]!), 'start times never go backwards');
    t.ok(a.charStartTimesMs.at(-1)! + a.charDurationsMs.at(-1)! <= ms + 1, 'inside the chunk');
  }
  t.equal((await client.closed).code, 1000);
});

t.test('Cartesia: the native audio byte for byte; timestamps absent or inside the audio', async (t) => {
  const client = await WsClient.open(`${ws}/tts/websocket`);
  const output_format = { container: 'raw', encoding: 'pcm_s16le', sample_rate: 24000 };
  client.send({ context_id: 'r', transcript: text, voice: { mode: 'id', id: 'af_heart' }, output_format, add_timestamps: true, continue: false });
  const frames = json(await client.until((d) => d.type === 'done', 60_000));
  t.same(Buffer.concat(frames.filter((f) => f.type === 'chunk').map((f) => Buffer.from(f.data as string, 'base64'))), nativePcm);
  const seconds = nativePcm.length / 2 / 24000;
  for (const f of frames.filter((f) => f.type === 'timestamps')) {
    const w = f.word_timestamps as { words: string[]; start: number[]; end: number[] };
    t.ok(w.words.length > 0 && w.words.length === w.start.length && w.start.length === w.end.length, 'words with their times');
    t.ok(w.start.every((s, i) => s <= w.end[i]! && w.end[i]! <= seconds + 0.001), 'each word inside the audio');
  }
  client.close();
  await client.closed;
  t.equal(pool.health().inFlight, 0, 'nothing left in the pool');
});
