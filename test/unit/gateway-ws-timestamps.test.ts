/**
 * ws-v1.md's word-timing extension over the fake pool: `ready.timestamps`, the `timestamps=1`
 * query and `config {timestamps}`, and the `offset_ms` / `words` fields of `tts_meta` only while on.
 */
import t, { type Test } from 'tap';
import { audioChunks, startHost, WsClient } from '../helpers/gateway.ts';

const TEXT = 'Hello there, this is the first sentence of the turn. And here is a second one. A third follows, with 42 words.';

async function open(t: Test, url: string): Promise<{ client: WsClient; ready: Record<string, unknown> }> {
  const client = await WsClient.open(url);
  t.teardown(() => client.close());
  return { client, ready: await client.json('ready') };
}

async function speak(client: WsClient, turnId: string) {
  client.send({ type: 'speak', text: TEXT, turn_id: turnId });
  return audioChunks(await client.until((d) => d.type === 'tts_done' && d.turn_id === turnId));
}

interface WireWord {
  word: string;
  start_ms: number;
  end_ms: number;
}

/** The extension's invariants for one tts_meta; returns its words. */
function checkTimed(t: Test, meta: Record<string, unknown>, offsetMs: number): WireWord[] {
  t.equal(meta.offset_ms, Math.round(offsetMs), `chunk ${meta.index}: offset_ms is the audio delivered before it`);
  const words = meta.words as WireWord[];
  const chunkMs = ((meta.samples as number) / (meta.sample_rate as number)) * 1000;
  let last = 0;
  for (const w of words) {
    t.ok(0 <= w.start_ms && w.start_ms <= w.end_ms && w.end_ms <= chunkMs, `"${w.word}" inside its chunk: 0 <= ${w.start_ms} <= ${w.end_ms} <= ${chunkMs}`);
    t.ok(w.start_ms >= last, `"${w.word}" in spoken order`);
    last = w.start_ms;
  }
  t.same(words.map((w) => w.word), (meta.text as string).split(/\s+/).filter(Boolean), 'each word of the chunk once, as sent');
  return words;
}

t.test('ready says whether the host can time words', async (t) => {
  const untimed = await startHost(t);
  t.equal((await open(t, untimed.wsUrl)).ready.timestamps, false);
  const timed = await startHost(t, {}, { words: true });
  t.equal((await open(t, timed.wsUrl)).ready.timestamps, true);
});

t.test('off by default: tts_meta has no offset_ms and no words', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const { client } = await open(t, host.wsUrl);
  const chunks = await speak(client, 'a');
  t.ok(chunks.length >= 2, 'several chunks');
  for (const c of chunks) {
    t.notOk('offset_ms' in c.meta, 'no offset_ms');
    t.notOk('words' in c.meta, 'no words');
  }
});

t.test('timestamps=1: every tts_meta carries offset_ms and the chunk words, in order, inside the chunk', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const { client } = await open(t, `${host.wsUrl}?timestamps=1`);
  const chunks = await speak(client, 'a');
  t.ok(chunks.length >= 2, 'several chunks');
  let offset = 0;
  const all: string[] = [];
  for (const c of chunks) {
    all.push(...checkTimed(t, c.meta, offset).map((w) => w.word));
    offset += ((c.meta.samples as number) / (c.meta.sample_rate as number)) * 1000;
  }
  t.equal(all.join(' '), TEXT, 'the turn\'s words, each once');
});

t.test('config turns timing on and off for the chunks rendered after it', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const { client } = await open(t, host.wsUrl);
  client.send({ type: 'config', timestamps: true });
  const on = await speak(client, 'on');
  let offset = 0;
  for (const c of on) {
    checkTimed(t, c.meta, offset);
    offset += ((c.meta.samples as number) / 24000) * 1000;
  }
  client.send({ type: 'config', timestamps: false });
  for (const c of await speak(client, 'off')) t.notOk('words' in c.meta || 'offset_ms' in c.meta, 'off again');
});

t.test('a bad timestamps value is refused with bad_message and changes nothing', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const { client } = await open(t, `${host.wsUrl}?timestamps=maybe`);
  t.match(await client.json('error'), { code: 'bad_message', recoverable: true });
  for (const c of await speak(client, 'q')) t.notOk('words' in c.meta, 'still off');
  client.send({ type: 'config', timestamps: true });
  client.send({ type: 'config', timestamps: 'yes' });
  t.match(await client.json('error'), { code: 'bad_message', recoverable: true });
  const chunks = await speak(client, 'c');
  t.ok(chunks.every((c) => Array.isArray(c.meta.words)), 'still on after the refused config');
});

t.test('asked of a host that cannot time: offset_ms still, words: []', async (t) => {
  const host = await startHost(t);
  const { client, ready } = await open(t, `${host.wsUrl}?timestamps=1`);
  t.equal(ready.timestamps, false);
  let offset = 0;
  for (const c of await speak(client, 'a')) {
    t.equal(c.meta.offset_ms, Math.round(offset));
    t.same(c.meta.words, []);
    offset += ((c.meta.samples as number) / 24000) * 1000;
  }
});
