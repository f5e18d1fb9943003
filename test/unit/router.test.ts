import t from 'tap';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TtsError, type ErrorCode } from '../../src/errors.ts';
import { floatToS16le, wavHeader } from '../../src/common/audio.ts';
import { createRouter } from '../../src/synth/router.ts';
import { UpstreamSpeechProvider, speechEndpoint } from '../../src/synth/upstream.ts';
import type { SynthesizeRequest, SynthesizedAudio, Synthesizer } from '../../src/synth/types.ts';

const REQ: SynthesizeRequest = { text: 'Hello there.', voice: 'af_heart', speed: 1.25, owner: 'conn-1' };

function sine(freq: number, rate: number, samples: number): Float32Array {
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) out[i] = 0.5 * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** A 16 kHz stereo s16 WAV of a 500 Hz sine (left) and silence (right): mixdown halves it. */
function upstreamWav(samples = 1600): Buffer {
  const mono = floatToS16le(sine(500, 16000, samples));
  const stereo = Buffer.alloc(mono.length * 2);
  for (let i = 0; i < samples; i++) mono.copy(stereo, i * 4, i * 2, i * 2 + 2);
  return Buffer.concat([wavHeader({ sampleRate: 16000, channels: 2, bitsPerSample: 16, format: 'pcm', dataBytes: stereo.length }), stereo]);
}

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

/** A real OpenAI-compatible speech server on 127.0.0.1, port 0. */
async function speechServer(t: { teardown(fn: () => unknown): void }, handler: Handler): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(Buffer.concat(parts).toString() || '{}') };
      seen.push(s);
      handler(req, res, s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

const wavHandler: Handler = (_req, res) => {
  const wav = upstreamWav();
  res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length });
  res.end(wav);
};

/** A local provider that fails (or succeeds) as told, and counts calls. */
class FakeLocal implements Synthesizer {
  calls = 0;
  constructor(public fail: ErrorCode | null) {}
  async synthesize(): Promise<SynthesizedAudio> {
    this.calls++;
    if (this.fail !== null) throw new TtsError(this.fail, `local ${this.fail}`);
    return { pcm: new Float32Array(10), sampleRate: 24000, queueMs: 0, synthMs: 1, provider: 'local' };
  }
}

function upstream(url: string, extra: Partial<ConstructorParameters<typeof UpstreamSpeechProvider>[0]> = {}) {
  return new UpstreamSpeechProvider({ url, model: 'tts-1', timeoutMs: 2000, ...extra });
}

t.test('speechEndpoint accepts a base URL with or without the path', async (t) => {
  t.equal(speechEndpoint('http://h:1'), 'http://h:1/v1/audio/speech');
  t.equal(speechEndpoint('http://h:1/'), 'http://h:1/v1/audio/speech');
  t.equal(speechEndpoint('http://h:1/v1'), 'http://h:1/v1/audio/speech');
  t.equal(speechEndpoint('http://h:1/v1/audio/speech/'), 'http://h:1/v1/audio/speech');
  t.equal(speechEndpoint('https://h/proxy/v1/audio/speech'), 'https://h/proxy/v1/audio/speech');
});

t.test('local fault -> upstream audio delivered in place, decoded and resampled to 24 kHz', async (t) => {
  const { url, seen } = await speechServer(t, wavHandler);
  const local = new FakeLocal('tts_chunk_failed');
  const warnings: string[] = [];
  const router = createRouter({
    local,
    upstream: upstream(`${url}/v1`, { apiKey: 'sk-test', voiceMap: (v) => (v === 'af_heart' ? 'nova' : v) }),
    log: { warn: (_o, msg) => warnings.push(msg) },
  });
  const audio = await router.synthesize(REQ);
  t.equal(local.calls, 1);
  t.equal(audio.provider, 'upstream');
  t.equal(audio.sampleRate, 24000);
  t.equal(audio.pcm.length, 2400, '1600 samples at 16 kHz = 2400 at 24 kHz');
  // The 500 Hz sine at amplitude 0.5, mixed with a silent channel: 0.25, same frequency, resampled.
  const expected = sine(500, 24000, 2400);
  let maxErr = 0;
  for (let i = 100; i < 2300; i++) maxErr = Math.max(maxErr, Math.abs(audio.pcm[i]! - expected[i]! / 2));
  t.ok(maxErr < 0.01, `samples match the resampled sine (max error ${maxErr.toFixed(4)})`);
  t.equal(seen.length, 1);
  t.same(seen[0], {
    method: 'POST',
    url: '/v1/audio/speech',
    auth: 'Bearer sk-test',
    body: { model: 'tts-1', input: 'Hello there.', voice: 'nova', response_format: 'wav', speed: 1.25 },
  });
  t.ok(warnings.includes('local synthesis failed; trying upstream'));
});

t.test('local success never calls the upstream', async (t) => {
  const { url, seen } = await speechServer(t, wavHandler);
  const router = createRouter({ local: new FakeLocal(null), upstream: upstream(url) });
  t.equal((await router.synthesize(REQ)).provider, 'local');
  t.equal(seen.length, 0);
  t.same(router.state(), { breaker: 'closed', preferred: 'local' });
});

t.test('both failing -> the chunk fails with the local code', async (t) => {
  const { url } = await speechServer(t, (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"upstream is down"}}');
  });
  const router = createRouter({ local: new FakeLocal('inference_error'), upstream: upstream(url) });
  const err = await router.synthesize(REQ).catch((e: unknown) => e);
  t.ok(err instanceof TtsError);
  t.equal((err as TtsError).code, 'inference_error');
  t.match((err as TtsError).message, /HTTP 503/, 'the upstream status is kept in the message');

  const timeoutRouter = createRouter({ local: new FakeLocal('tts_chunk_timeout'), upstream: upstream(url) });
  t.equal(((await timeoutRouter.synthesize(REQ).catch((e: unknown) => e)) as TtsError).code, 'tts_chunk_timeout');
});

t.test('caller errors do not fail over and do not trip the breaker', async (t) => {
  const { url, seen } = await speechServer(t, wavHandler);
  for (const code of ['invalid_voice', 'invalid_speed', 'empty_text', 'cancelled', 'shutting_down'] as const) {
    const router = createRouter({ local: new FakeLocal(code), upstream: upstream(url), breaker: { failures: 1, windowMs: 1000, cooldownMs: 1000 } });
    const err = (await router.synthesize(REQ).catch((e: unknown) => e)) as TtsError;
    t.equal(err.code, code, `${code} reaches the caller`);
    t.equal(router.state().breaker, 'closed', `${code} does not trip the breaker`);
  }
  t.equal(seen.length, 0, 'the upstream was never asked');
});

t.test('overloaded fails over but does not count against local', async (t) => {
  const { url, seen } = await speechServer(t, wavHandler);
  const router = createRouter({ local: new FakeLocal('overloaded'), upstream: upstream(url), breaker: { failures: 1, windowMs: 1000, cooldownMs: 1000 } });
  t.equal((await router.synthesize(REQ)).provider, 'upstream');
  t.equal(seen.length, 1);
  t.equal(router.state().breaker, 'closed');
});

t.test('breaker: opens after K failures, prefers upstream, half-opens, closes on a local success', async (t) => {
  const { url, seen } = await speechServer(t, wavHandler);
  let now = 1000;
  const local = new FakeLocal('tts_chunk_failed');
  const warnings: string[] = [];
  const router = createRouter({
    local,
    upstream: upstream(url),
    breaker: { failures: 3, windowMs: 10_000, cooldownMs: 5_000 },
    now: () => now,
    log: { warn: (_o, msg) => warnings.push(msg) },
  });
  for (let i = 0; i < 2; i++) t.equal((await router.synthesize(REQ)).provider, 'upstream');
  t.same(router.state(), { breaker: 'closed', preferred: 'local' }, 'two failures: still closed');
  await router.synthesize(REQ);
  t.same(router.state(), { breaker: 'open', preferred: 'upstream' }, 'third failure in the window opens it');
  t.equal(local.calls, 3);

  await router.synthesize(REQ);
  t.equal(local.calls, 3, 'open: local is not tried while the upstream works');
  t.equal(seen.length, 4);

  now += 5_000;
  t.same(router.state(), { breaker: 'half_open', preferred: 'upstream' });
  await router.synthesize(REQ);
  t.equal(local.calls, 4, 'half-open: one probe of local');
  t.equal(router.state().breaker, 'open', 'the probe failed: open again');

  now += 5_000;
  local.fail = null;
  const audio = await router.synthesize(REQ);
  t.equal(audio.provider, 'local', 'the probe succeeded');
  t.same(router.state(), { breaker: 'closed', preferred: 'local' });
  t.ok(warnings.includes('local synthesis failing; breaker open, preferring upstream'));
  t.ok(warnings.includes('local synthesis recovered; breaker closed'));
});

t.test('breaker: failures outside the window do not add up', async (t) => {
  const { url } = await speechServer(t, wavHandler);
  let now = 0;
  const router = createRouter({ local: new FakeLocal('tts_chunk_failed'), upstream: upstream(url), breaker: { failures: 2, windowMs: 1000, cooldownMs: 1000 }, now: () => now });
  await router.synthesize(REQ);
  now += 1500;
  await router.synthesize(REQ);
  t.equal(router.state().breaker, 'closed');
  now += 500;
  await router.synthesize(REQ);
  t.equal(router.state().breaker, 'open');
});

t.test('breaker open and upstream failing: local is tried; both failing keeps the local code', async (t) => {
  let up = true;
  const { url } = await speechServer(t, (req, res, seen) => {
    if (up) return wavHandler(req, res, seen);
    res.writeHead(500);
    res.end('nope');
  });
  const local = new FakeLocal('tts_chunk_failed');
  const router = createRouter({ local, upstream: upstream(url), breaker: { failures: 1, windowMs: 1000, cooldownMs: 60_000 } });
  await router.synthesize(REQ);
  t.equal(router.state().breaker, 'open');
  up = false;
  local.fail = null;
  t.equal((await router.synthesize(REQ)).provider, 'local', 'upstream failed, local served it');
  local.fail = 'inference_error';
  t.equal(((await router.synthesize(REQ).catch((e: unknown) => e)) as TtsError).code, 'inference_error');
});

t.test('no upstream configured: the local error passes through untouched', async (t) => {
  const router = createRouter({ local: new FakeLocal('tts_chunk_failed') });
  t.equal(((await router.synthesize(REQ).catch((e: unknown) => e)) as TtsError).code, 'tts_chunk_failed');
  t.same(router.state(), { breaker: 'closed', preferred: 'local' });
});

t.test('upstream: non-2xx -> tts_chunk_failed with the status', async (t) => {
  const { url } = await speechServer(t, (_req, res) => {
    res.writeHead(401);
    res.end('bad key');
  });
  const err = (await upstream(url).synthesize(REQ).catch((e: unknown) => e)) as TtsError;
  t.equal(err.code, 'tts_chunk_failed');
  t.match(err.message, /HTTP 401: bad key/);
});

t.test('upstream: no Authorization header without an API key', async (t) => {
  const { url, seen } = await speechServer(t, wavHandler);
  await upstream(url).synthesize(REQ);
  t.equal(seen[0]!.auth, undefined);
});

t.test('upstream: timeout -> tts_chunk_timeout', async (t) => {
  const { url } = await speechServer(t, () => {
    // Never answers.
  });
  const err = (await upstream(url, { timeoutMs: 100 }).synthesize(REQ).catch((e: unknown) => e)) as TtsError;
  t.equal(err.code, 'tts_chunk_timeout');
});

t.test('upstream: a body that stalls midway also times out', async (t) => {
  const { url } = await speechServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'audio/wav' });
    res.write(upstreamWav().subarray(0, 100));
  });
  const err = (await upstream(url, { timeoutMs: 150 }).synthesize(REQ).catch((e: unknown) => e)) as TtsError;
  t.equal(err.code, 'tts_chunk_timeout');
});

t.test('upstream: the caller aborting -> cancelled', async (t) => {
  const { url, seen } = await speechServer(t, () => {
    // Never answers.
  });
  const controller = new AbortController();
  const pending = upstream(url).synthesize({ ...REQ, signal: controller.signal });
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  t.equal(((await pending.catch((e: unknown) => e)) as TtsError).code, 'cancelled');
  const already = new AbortController();
  already.abort();
  t.equal(((await upstream(url).synthesize({ ...REQ, signal: already.signal }).catch((e: unknown) => e)) as TtsError).code, 'cancelled');
});

t.test('upstream: a cancel during failover is not sent upstream', async (t) => {
  const { url, seen } = await speechServer(t, wavHandler);
  const controller = new AbortController();
  const local: Synthesizer = {
    async synthesize() {
      controller.abort();
      throw new TtsError('tts_chunk_failed', 'died');
    },
  };
  const router = createRouter({ local, upstream: upstream(url) });
  const err = (await router.synthesize({ ...REQ, signal: controller.signal }).catch((e: unknown) => e)) as TtsError;
  t.equal(err.code, 'tts_chunk_failed');
  t.equal(seen.length, 0);
});

t.test('upstream: bad audio, oversized audio and a dead server -> tts_chunk_failed', async (t) => {
  const { url: junkUrl } = await speechServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'audio/wav' });
    res.end('this is not a wav file');
  });
  const junk = (await upstream(junkUrl).synthesize(REQ).catch((e: unknown) => e)) as TtsError;
  t.equal(junk.code, 'tts_chunk_failed');
  t.match(junk.message, /bad audio/);

  const { url: bigUrl } = await speechServer(t, wavHandler);
  const big = (await upstream(bigUrl, { maxResponseBytes: 1000 }).synthesize(REQ).catch((e: unknown) => e)) as TtsError;
  t.equal(big.code, 'tts_chunk_failed');
  t.match(big.message, /limit/);

  const { url: chunkedUrl } = await speechServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'audio/wav' });
    res.write(upstreamWav());
    res.end(upstreamWav());
  });
  const chunked = (await upstream(chunkedUrl, { maxResponseBytes: 8000 }).synthesize(REQ).catch((e: unknown) => e)) as TtsError;
  t.equal(chunked.code, 'tts_chunk_failed', 'the limit holds without a content-length too');

  const dead = await speechServer(t, wavHandler);
  await new Promise<void>((resolve) => dead.server.close(() => resolve()));
  const refused = (await upstream(dead.url).synthesize(REQ).catch((e: unknown) => e)) as TtsError;
  t.equal(refused.code, 'tts_chunk_failed');
});

t.test('upstream: a 24 kHz float WAV passes through without resampling', async (t) => {
  const pcm = sine(300, 24000, 480);
  const { url } = await speechServer(t, (_req, res) => {
    const data = Buffer.from(pcm.buffer);
    res.writeHead(200, { 'content-type': 'audio/wav' });
    res.end(Buffer.concat([wavHeader({ sampleRate: 24000, channels: 1, bitsPerSample: 32, format: 'float', dataBytes: null }), data]));
  });
  const audio = await upstream(url).synthesize(REQ);
  t.same([...audio.pcm], [...pcm]);
});
