/**
 * Turns are cut by the pool's measured cost curve (src/gateway/turn/chunking.ts): on a slow
 * machine the first phrase a WebSocket or HTTP turn synthesizes is short; with
 * KOKORO_CHUNK_SIZING=0, or before the pool has measured anything, the fixed schedule holds.
 */
import t from 'tap';
import { PhraseChunker } from '../../src/pipeline/phrase-chunker.ts';
import type { CostCurve } from '../../src/synth/cost-model.ts';
import { startHost, WsClient, type Host } from '../helpers/gateway.ts';

const TEXT = 'Sure, I can help with that today. Your order shipped this morning and should arrive on Thursday, before noon, at the front door.';
/** About a second of fixed cost per chunk: only the shortest first chunk (24 estimated tokens) fits. */
const SLOW: CostCurve = { fixedMs: 1000, msPerToken: 30, speechMsPerToken: 30, computeMs: (n) => 1000 + 30 * n, speechMs: (n) => 30 * n };

const fixedSchedule = () => {
  const c = new PhraseChunker();
  return [...c.push(TEXT), ...c.flush()].map((p) => p.text);
};

async function speakWs(host: Host): Promise<string[]> {
  const client = await WsClient.open(host.wsUrl);
  try {
    client.send({ type: 'speak', text: TEXT, turn_id: 'a' });
    await client.until((d) => d.type === 'tts_done');
    return host.pool.calls.map((c) => c.text);
  } finally {
    client.close();
  }
}

async function speakHttp(host: Host): Promise<string[]> {
  const res = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kokoro', input: TEXT, voice: 'af_heart', response_format: 'pcm' }) });
  await res.arrayBuffer();
  t.equal(res.status, 200);
  return host.pool.calls.map((c) => c.text);
}

for (const [name, speak] of [['WebSocket', speakWs], ['HTTP', speakHttp]] as const) {
  t.test(`${name}: a slow machine's turn starts with a short phrase and keeps every word`, async (t) => {
    const host = await startHost(t, {}, { curve: SLOW });
    const phrases = await speak(host);
    const fixed = fixedSchedule();
    t.ok(phrases[0]!.split(' ').length < fixed[0]!.split(' ').length, `first phrase "${phrases[0]}" is shorter than the fixed schedule's "${fixed[0]}"`);
    t.equal(phrases.join(' '), fixed.join(' '), 'the same words, in order');
  });

  t.test(`${name}: KOKORO_CHUNK_SIZING=0 keeps the fixed schedule`, async (t) => {
    const host = await startHost(t, { chunkSizing: false }, { curve: SLOW });
    t.same(await speak(host), fixedSchedule());
  });

  t.test(`${name}: a turn that starts with every worker busy keeps the fixed schedule`, async (t) => {
    const host = await startHost(t, {}, { curve: SLOW });
    host.pool.setHealth({ busyWorkers: host.pool.health().plan.workers });
    t.same(await speak(host), fixedSchedule());
  });

  t.test(`${name}: a turn that starts with chunks queued keeps the fixed schedule`, async (t) => {
    const host = await startHost(t, {}, { curve: SLOW });
    host.pool.setHealth({ queueDepth: 1 });
    t.same(await speak(host), fixedSchedule());
  });

  t.test(`${name}: a turn that starts on a pool busy over half the time lately keeps the fixed schedule`, async (t) => {
    const host = await startHost(t, {}, { curve: SLOW });
    host.pool.setHealth({ utilization: 0.6 });
    t.same(await speak(host), fixedSchedule());
  });

  t.test(`${name}: a pool with no curve yet keeps the fixed schedule`, async (t) => {
    const host = await startHost(t);
    t.same(await speak(host), fixedSchedule());
  });
}
