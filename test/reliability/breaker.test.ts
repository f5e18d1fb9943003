/**
 * Reliability matrix row A13 against the real host as a child process: a fault storm with a
 * fallback upstream configured (the only setup with a circuit breaker), fault injection on
 * (workers/faults.ts markers in the text). The upstream is a stub OpenAI speech endpoint.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import t, { type Test } from 'tap';
import { wavHeader } from '../../src/common/audio.ts';
import { HostProcess, until } from '../../harness/host-process.ts';
import { openReady, turn } from '../helpers/native-turns.ts';

/** An OpenAI-compatible speech endpoint that answers every request with 0.1 s of WAV. */
async function upstreamStub(t: Test): Promise<{ url: string; calls: () => number }> {
  let calls = 0;
  const pcm = Buffer.alloc(2400 * 2);
  for (let i = 0; i < 2400; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 10)), i * 2);
  const wav = Buffer.concat([wavHeader({ sampleRate: 24000, channels: 1, bitsPerSample: 16, format: 'pcm', dataBytes: pcm.length }), pcm]);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      calls++;
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length }).end(wav);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, calls: () => calls };
}

t.test('A13 fault storm: the breaker opens after K failures, later chunks go upstream without loading models, one half-open probe closes it', async (t) => {
  const upstream = await upstreamStub(t);
  const cooldownMs = 4000;
  const storm = await HostProcess.start({
    env: {
      KOKORO_FALLBACK_URL: upstream.url,
      KOKORO_BREAKER_FAILURES: '3',
      KOKORO_BREAKER_WINDOW_MS: '60000',
      KOKORO_BREAKER_COOLDOWN_MS: String(cooldownMs),
      KOKORO_CHUNK_RETRIES: '0',
      // One chunk at a time: the breaker's state decides each chunk's provider in turn.
      KOKORO_MAX_IN_FLIGHT_PER_TURN: '1',
    },
  });
  t.teardown(async () => void (await storm.stop()));
  const client = await openReady(t, storm.wsUrl);
  const router = async () => ((await storm.readyz()).body.router as { breaker: string }).breaker;
  t.equal(await router(), 'closed');
  const crashes = '[[crash]] Storm one. [[crash]] Storm two. [[crash]] Storm three. [[crash]] Storm four. [[crash]] Storm five. [[crash]] Storm six.';
  const out = await turn(client, crashes, 'a13', 120_000);
  t.match(out.done, { chunks: 6, failed: 0 }, 'every chunk was delivered (the failed ones by the upstream)');
  t.same(out.indices, [0, 1, 2, 3, 4, 5]);
  t.equal(await router(), 'open', 'the breaker opened');
  t.equal(upstream.calls(), 6, 'the upstream served every chunk');
  // At most one crash (one model load) per counted failure; while the only worker reloads,
  // the pool refuses at once (unavailable), which counts too.
  const crashed = await storm.metric('kokoro_worker_crashes_total');
  t.ok(crashed >= 1 && crashed <= 3, `${crashed} local crashes before the breaker opened`);
  t.match((await turn(client, '[[crash]] Still storming. [[crash]] And again.', 'a13-more')).done, { chunks: 2, failed: 0 });
  t.equal(await storm.metric('kokoro_worker_crashes_total'), crashed, 'no local attempt (and no model load) while the breaker is open');
  t.equal(upstream.calls(), 8);
  // Open: a healthy chunk goes upstream first, costing the local pool nothing.
  const localBefore = await storm.metric('kokoro_synthesis_seconds_count');
  t.match((await turn(client, 'While the breaker is open.', 'a13-open')).done, { failed: 0 });
  t.equal(upstream.calls(), 9);
  t.equal(await storm.metric('kokoro_synthesis_seconds_count'), localBefore, 'no local synthesis while open');
  await until(async () => ((await router()) === 'half_open' ? true : undefined), cooldownMs + 5000, 'half-open after the cooldown');
  await until(async () => ((await storm.readyz()).body.ready === true ? true : undefined), 60_000, 'the local pool back to plan');
  t.match((await turn(client, 'The fault is gone.', 'a13-probe')).done, { failed: 0 });
  t.equal(await router(), 'closed', 'one successful probe closed the breaker');
  t.equal(upstream.calls(), 9, 'the probe was served locally');
});
