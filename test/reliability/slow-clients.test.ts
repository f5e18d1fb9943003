/**
 * Reliability matrix rows B1, B3, B4 and B22 against the real host as a child process:
 * clients that are slow on purpose (a reader that stops reading, Slowloris headers, a
 * body that trickles in) and a main thread under HTTP load. The keepalive keeps its
 * default interval here: a stalled reader cannot answer pings (they queue behind the audio
 * it does not read), so a short interval would close it with 1001 before flow control acts.
 *
 * B3 and B4 drive slowhttptest (Debian package `slowhttptest`); without it they fail,
 * unless KOKORO_ALLOW_MISSING_TOOLS=1 says to skip them.
 */
import { once } from 'node:events';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { WsClient } from '../helpers/gateway.ts';
import { HostProcess, missingTool, runCommand, toolTestOptions, until, within } from '../../harness/host-process.ts';

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const MAX_QUEUE = 8;

const host = await HostProcess.start({
  env: {
    KOKORO_WS_HIGH_WATER_BYTES: String(64 * 1024),
    KOKORO_WS_HARD_LIMIT_BYTES: String(128 * 1024),
    KOKORO_WS_SLOW_READER_GRACE_MS: '500',
    KOKORO_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    KOKORO_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    KOKORO_MAX_QUEUE: String(MAX_QUEUE),
  },
});
t.teardown(async () => {
  const status = await host.stop();
  if (status.code !== 0) throw new Error(`the host did not exit 0 (${status.signal ?? status.code}); stderr: ${host.stderrTail()}`);
});

const SENTENCE = 'This sentence becomes about a second of audio. ';

async function open(t: Test, query = ''): Promise<WsClient> {
  const client = await WsClient.open(`${host.wsUrl}${query}`);
  t.teardown(() => client.ws.terminate());
  await client.json('ready');
  return client;
}

function poolIdle(ms = 30_000): Promise<true> {
  return until(async () => ((await host.pool()).in_flight === 0 ? true : undefined), ms, 'pool idle');
}

/**
 * /healthz every 200 ms while `during` runs: every answer must be a 200 within 2 s.
 * Returns the latencies (ms) for the report.
 */
async function probeHealthWhile(t: Test, during: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      try {
        const { status, ms } = await host.get('/healthz', {}, 2000);
        if (status === 200) latencies.push(ms);
        else failures.push(`HTTP ${status}`);
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  try {
    await during;
  } finally {
    running = false;
    await probing;
  }
  t.same(failures, [], `/healthz answered 200 within 2 s throughout (${latencies.length} probes)`);
  const sorted = [...latencies].sort((a, b) => a - b);
  t.comment(`/healthz latency: p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)]?.toFixed(1)} ms`);
  return latencies;
}

interface SlowHttpReport {
  exitStatus: string;
  endedAtSecond: number;
  rows: Array<{ seconds: number; closed: number; pending: number; connected: number; available: number }>;
}

/** Runs slowhttptest against the host and reads its CSV report. */
async function slowhttptest(args: string[], lengthS: number): Promise<SlowHttpReport> {
  const dir = mkdtempSync(join(tmpdir(), 'slowhttp-'));
  try {
    const { code, output } = await runCommand('slowhttptest', [...args, '-l', String(lengthS), '-g', '-o', join(dir, 'report')], (lengthS + 20) * 1000);
    const text = output.replace(/\x1b\[[0-9;]*m/g, '');
    if (code !== 0) throw new Error(`slowhttptest exited ${code}: ${text.slice(-500)}`);
    const rows = readFileSync(join(dir, 'report.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [seconds, closed, pending, connected, available] = line.split(',').map(Number);
        return { seconds: seconds!, closed: closed!, pending: pending!, connected: connected!, available: available! };
      });
    return {
      exitStatus: /Exit status:\s*(.+)/.exec(text)?.[1]?.trim() ?? '',
      endedAtSecond: Number(/Test ended on (\d+)/.exec(text)?.[1] ?? NaN),
      rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A raw TCP connection to the host that records what it receives; destroyed at teardown. */
async function rawConnection(t: Test): Promise<{ socket: Socket; received: () => string }> {
  const socket: Socket = connect(host.port, '127.0.0.1');
  socket.on('error', () => undefined);
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  return { socket, received: () => received };
}

/** Sends `head` (and optionally a start of body) on a raw socket, then waits for the server to answer and close. */
async function rawStall(t: Test, bytes: string, ms: number): Promise<string> {
  const { socket, received } = await rawConnection(t);
  socket.write(bytes);
  await within(once(socket, 'close'), ms, 'the server to answer and close the stalled request');
  return received();
}

t.test('B1 slow consumer: dispatch pauses, the reader is closed 1008 past the grace, its work is cancelled, others go on', async (t) => {
  // f32le at half speed: about 230 KB a chunk, so the loopback socket buffers fill within a few dozen chunks.
  const slow = await open(t, '?format=f32le&speed=0.5');
  const other = await open(t);
  const tasks = () => host.metric('kokoro_queue_wait_seconds_count');
  const before = await tasks();
  const rssBefore = host.procStatus().rssKb;
  const socket = (slow.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  slow.send({ type: 'speak', text: SENTENCE.repeat(150), turn_id: 'flood' });
  const closing = slow.closed;
  // The slow session must be refused more audio; the host writes its close frame behind the audio.
  await host.line((l) => l.msg === 'ws session closing' && l.code === 1008, 60_000, "the slow reader's 1008");
  other.send({ type: 'speak', text: 'Another client is unaffected. It hears every chunk.', turn_id: 'other' });
  t.match(await other.json('tts_done', 30_000), { failed: 0, chunks: 2 }, 'the other stream completed');
  socket.resume();
  const closed = await closing;
  t.same([closed.code, closed.reason], [1008, 'slow consumer']);
  await poolIdle();
  const dispatched = (await tasks()) - before - 2;
  t.ok(dispatched < 150, `backpressure stopped dispatch: ${dispatched} of 150 chunks reached the pool`);
  t.equal((await host.pool()).queue_depth, 0, "the reader's queued chunks were cancelled");
  t.comment(`host RSS ${Math.round(rssBefore / 1024)} -> ${Math.round(host.procStatus().rssKb / 1024)} MiB`);
});

t.test('B3 (raw) a request whose headers never finish gets 408 and is closed at the headers timeout', async (t) => {
  const received = await rawStall(t, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n`, HEADERS_TIMEOUT_MS + 3000);
  t.match(received, /^HTTP\/1\.1 408 /);
});

t.test('B3 Slowloris (slowhttptest -H): every slow connection is closed by the host, /healthz stays up', toolTestOptions('slowhttptest'), async (t) => {
  const missing = missingTool('slowhttptest');
  if (missing !== null) return void t.fail(missing);
  const lengthS = 8;
  const attack = slowhttptest(['-H', '-c', '100', '-r', '100', '-i', '1', '-p', '2', '-u', `${host.base}/healthz`], lengthS);
  await probeHealthWhile(t, attack);
  const report = await attack;
  t.equal(report.exitStatus, 'No open connections left', 'the host closed every slow connection before the test length ran out');
  t.ok(report.endedAtSecond < lengthS, `over by second ${report.endedAtSecond} of ${lengthS}`);
  t.ok(report.rows.every((r) => r.available > 0), "slowhttptest's own probe found the service available throughout");
  t.ok(Math.max(...report.rows.map((r) => r.closed)) > 0, 'connections were closed while the attack ran');
});

t.test('B4 (raw) a body that trickles in too slowly gets 408 at the request timeout', async (t) => {
  const { socket, received } = await rawConnection(t);
  socket.write(`POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`);
  // One byte every 400 ms: never idle, never finished.
  const trickle = setInterval(() => socket.write(' '), 400);
  t.teardown(() => clearInterval(trickle));
  await within(once(socket, 'close'), REQUEST_TIMEOUT_MS + 3000, 'the trickling request to be timed out');
  t.match(received(), /^HTTP\/1\.1 408 /);
});

t.test('B4 (raw) a body that stops arriving gets 408 at the request timeout, not a silent reset', async (t) => {
  const head = `POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model":`;
  const received = await rawStall(t, head, REQUEST_TIMEOUT_MS + 3000);
  t.match(received, /^HTTP\/1\.1 408 /);
});

t.test('a speech response whose first audio takes longer than the request timeout is delivered, not cut', async (t) => {
  // The request timeout bounds receiving the request; a slow synthesis is the pool's deadlines' business.
  const res = await fetch(`${host.base}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', input: `[[slow:${REQUEST_TIMEOUT_MS + 1000}]] A slow first chunk.`, response_format: 'wav' }),
    signal: AbortSignal.timeout(30_000),
  }).then(
    async (r) => ({ status: r.status, bytes: (await r.arrayBuffer()).byteLength }),
    (err: Error) => ({ status: 0, bytes: 0, error: `${err.message} (${String((err.cause as { code?: string } | undefined)?.code)})` }),
  );
  t.match(res, { status: 200 }, 'the response arrived');
  t.ok(res.bytes > 44, 'with audio after the WAV header');
});

t.test('B4 slow body (slowhttptest -B) on the synthesis route: closed at the request timeout, /healthz stays up', toolTestOptions('slowhttptest'), async (t) => {
  const missing = missingTool('slowhttptest');
  if (missing !== null) return void t.fail(missing);
  const lengthS = 10;
  const attack = slowhttptest(
    ['-B', '-c', '50', '-r', '50', '-i', '1', '-s', '4096', '-p', '2', '-t', 'POST', '-f', 'application/json', '-u', `${host.base}/v1/audio/speech`],
    lengthS,
  );
  await probeHealthWhile(t, attack);
  const report = await attack;
  t.equal(report.exitStatus, 'No open connections left', 'the host closed every slow body before the test length ran out');
  t.ok(report.endedAtSecond < lengthS, `over by second ${report.endedAtSecond} of ${lengthS}`);
  t.ok(Math.max(...report.rows.map((r) => r.closed)) > 0, 'connections were closed while the attack ran');
});

t.test('B22 HTTP synthesis saturated while WS streams run: every answer is audio or 503 with Retry-After, probes stay fast', async (t) => {
  const streams = await Promise.all([open(t), open(t)]);
  const ws = streams.map((client, i) => {
    client.send({ type: 'speak', text: SENTENCE.repeat(6), turn_id: `ws${i}` });
    return client.json('tts_done', 120_000);
  });
  const body = JSON.stringify({ model: 'tts-1', input: SENTENCE.repeat(4), response_format: 'mp3' });
  const http = Array.from({ length: 24 }, async () => {
    const res = await fetch(`${host.base}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(120_000),
    });
    const bytes = (await res.arrayBuffer()).byteLength;
    return { status: res.status, retryAfter: res.headers.get('retry-after'), bytes };
  });
  await probeHealthWhile(t, Promise.allSettled([...ws, ...http]));
  const results = await Promise.all(http);
  const statuses = results.map((r) => r.status);
  t.ok(statuses.every((s) => s === 200 || s === 503), `statuses: ${JSON.stringify(statuses)}`);
  t.ok(results.filter((r) => r.status === 503).every((r) => r.retryAfter !== null), 'every 503 says when to retry');
  t.ok(results.filter((r) => r.status === 200).every((r) => r.bytes > 0), 'every 200 carries audio');
  t.ok(statuses.includes(200), 'some requests were served');
  // A full queue skips chunks (tts_chunk_failed, overloaded) rather than queueing without bound; the turns still end.
  for (const done of await Promise.all(ws)) t.match(done, { type: 'tts_done', chunks: 6 }, `a WS turn ended (${String(done.failed)} chunks skipped)`);
  const loop = (await host.get('/debug/eventloop')).body;
  t.comment(`event-loop delay: p99 ${String(loop.p99_ms)} ms, max ${String(loop.max_ms)} ms`);
  await poolIdle(60_000);
});
