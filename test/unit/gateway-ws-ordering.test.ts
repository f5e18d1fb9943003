/**
 * Ordering under concurrency: 8 sessions x 3 turns, with cancels interleaved, over a pool
 * that completes chunks out of order. Every healthy chunk arrives exactly once, in
 * order; turns never interleave; and each chunk's audio is byte-identical to the same
 * phrase requested on its own.
 */
import t, { type Test } from 'tap';
import { audioChunks, jsonFrames, startHost, WsClient, type Frame } from '../helpers/gateway.ts';

const SESSIONS = 8;
const TURNS = 3;

function turnText(s: number, j: number): string {
  return `Session ${s} turn ${j} opens here, with a clause. It has a second sentence for good measure. And it ends with number ${s * 10 + j}.`;
}

/** Frames grouped by turn, checking that a turn's frames never interleave with another's. */
function turnsInOrder(t: Test, frames: Frame[], label: string): string[] {
  const order: string[] = [];
  const ended = new Set<string>();
  for (const f of frames) {
    if (f.kind !== 'json') continue;
    const id = f.data.turn_id as string | undefined;
    if (id === undefined || f.data.type === 'cancelled') {
      if (id !== undefined) ended.add(id);
      continue;
    }
    t.notOk(ended.has(id), `${label}: nothing of ${id} after its end`);
    if (order.at(-1) !== id) {
      t.notOk(order.includes(id), `${label}: ${id} does not resume after another turn`);
      order.push(id);
    }
    if (f.data.type === 'tts_done') ended.add(id);
  }
  return order;
}

t.test('8 sessions x 3 turns with cancels: exactly-once, in-order delivery and identical audio', async (t) => {
  const delay = (text: string) => (text.length * 7) % 13;
  const host = await startHost(t, {}, { delayMs: (req) => delay(req.text) });

  const runSession = async (s: number) => {
    const client = await WsClient.open(host.wsUrl);
    await client.json('ready');
    const cancelTurn = s % 3 === 1 ? 1 : s % 3 === 2 ? 0 : -1;
    for (let j = 0; j < TURNS; j++) {
      client.send({ type: 'speak', text: turnText(s, j), turn_id: `s${s}-t${j}` });
      if (j === cancelTurn) client.send({ type: 'cancel', turn_id: `s${s}-t${j}` });
    }
    const frames = await client.until((d) => d.type === 'tts_done' && d.turn_id === `s${s}-t${TURNS - 1}`);
    client.close();
    return { s, cancelTurn, frames };
  };

  const results = await Promise.all(Array.from({ length: SESSIONS }, (_, s) => runSession(s)));
  const phrases = new Map<string, Buffer>();

  for (const { s, cancelTurn, frames } of results) {
    const label = `session ${s}`;
    const expectedOrder = Array.from({ length: TURNS }, (_, j) => `s${s}-t${j}`).filter((_, j) => j !== cancelTurn);
    const order = turnsInOrder(t, frames, label).filter((id) => id !== `s${s}-t${cancelTurn}`);
    t.same(order, expectedOrder, `${label}: turns delivered in the order opened`);
    const json = jsonFrames(frames);
    if (cancelTurn >= 0) {
      t.match(json.find((f) => f.type === 'cancelled'), { turn_id: `s${s}-t${cancelTurn}` }, `${label}: cancel acknowledged`);
    }
    t.equal(json.filter((f) => f.type === 'error').length, 0, `${label}: no errors`);
    for (let j = 0; j < TURNS; j++) {
      if (j === cancelTurn) continue;
      const id = `s${s}-t${j}`;
      const chunks = audioChunks(frames).filter((c) => c.meta.turn_id === id);
      t.same(chunks.map((c) => c.meta.index), chunks.map((_, i) => i), `${id}: every index once, in order`);
      t.equal(chunks.map((c) => c.meta.text).join(' '), turnText(s, j), `${id}: all the text, once`);
      t.match(json.find((f) => f.type === 'tts_done' && f.turn_id === id), { chunks: chunks.length, failed: 0 });
      for (const c of chunks) phrases.set(c.meta.text as string, c.pcm);
    }
  }

  t.equal(host.pool.inFlight, 0, 'nothing left in the pool');

  const alone = await WsClient.open(host.wsUrl);
  t.teardown(() => alone.close());
  await alone.json('ready');
  let mismatches = 0;
  for (const [text, pcm] of phrases) {
    alone.send({ type: 'speak', text });
    const [chunk] = audioChunks(await alone.until((d) => d.type === 'tts_done'));
    if (chunk === undefined || !chunk.pcm.equals(pcm)) mismatches++;
  }
  t.equal(mismatches, 0, `each of ${phrases.size} phrases sounds the same requested alone`);
});
