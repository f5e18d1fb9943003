/**
 * POST /v1/audio/speech with the official `openai` client: each format decodes as that
 * format with the right rate and duration, streaming really streams, bad input gets its
 * code, and a client that goes away cancels its work.
 */
import { once } from 'node:events';
import t from 'tap';
import OpenAI from 'openai';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { MPEGDecoder } from 'mpg123-decoder';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { TtsError } from '../../src/errors.ts';
import { startHost, type Host } from '../helpers/gateway.ts';

const TEXT = 'The quick brown fox jumps over the lazy dog. Then it naps in the sun, dreaming of nothing at all. The end.';
const SAMPLES_PER_CHAR = 240;

function client(host: Host, apiKey = 'anything'): OpenAI {
  return new OpenAI({ baseURL: `${host.base}/v1`, apiKey, maxRetries: 0 });
}

/** Samples the fake pool produced for the phrases it was asked for (speed 1). */
function expectedSamples(host: Host): number {
  return host.pool.calls.reduce((n, c) => n + Math.round((c.text.length * SAMPLES_PER_CHAR) / c.speed), 0);
}

function wavInfo(buf: Buffer): { rate: number; channels: number; bits: number; samples: number } {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV');
  let at = 12;
  let fmt: { rate: number; channels: number; bits: number } | undefined;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') fmt = { channels: buf.readUInt16LE(at + 10), rate: buf.readUInt32LE(at + 12), bits: buf.readUInt16LE(at + 22) };
    if (id === 'data') return { ...fmt!, samples: (buf.length - at - 8) / 2 };
    at += 8 + size;
  }
  throw new Error('no data chunk');
}

async function decode(format: string, bytes: Buffer): Promise<{ rate: number; samples: number }> {
  switch (format) {
    case 'mp3': {
      const d = new MPEGDecoder();
      await d.ready;
      const out = d.decode(bytes);
      d.free();
      if (out.errors.length > 0) throw new Error('mp3 decode errors');
      return { rate: out.sampleRate, samples: out.samplesDecoded };
    }
    case 'flac': {
      const d = new FLACDecoder();
      await d.ready;
      const out = await d.decodeFile(bytes);
      d.free();
      if (out.errors.length > 0) throw new Error('flac decode errors');
      return { rate: out.sampleRate, samples: out.samplesDecoded };
    }
    case 'opus': {
      const d = new OggOpusDecoder();
      await d.ready;
      const out = await d.decodeFile(bytes);
      d.free();
      if (out.errors.length > 0) throw new Error('opus decode errors');
      // Ogg Opus always decodes at 48 kHz; the stream declares its 24 kHz input rate.
      if (bytes.readUInt32LE(28 + 12) !== 24000) throw new Error('OpusHead input rate is not 24 kHz');
      return { rate: 24000, samples: out.samplesDecoded / 2 };
    }
    case 'wav': {
      const info = wavInfo(bytes);
      if (info.channels !== 1 || info.bits !== 16) throw new Error('not mono s16');
      return { rate: info.rate, samples: info.samples };
    }
    case 'pcm':
      return { rate: 24000, samples: bytes.length / 2 };
    default:
      throw new Error(format);
  }
}

t.test('every response_format decodes as that format, at 24 kHz, with the duration of the text', async (t) => {
  const host = await startHost(t, {}, { samplesPerChar: SAMPLES_PER_CHAR });
  const openai = client(host);
  const slack: Record<string, number> = { mp3: 2 * 1152 + 576, opus: 0, flac: 0, wav: 0, pcm: 0 };
  for (const format of ['mp3', 'opus', 'flac', 'wav', 'pcm'] as const) {
    host.pool.calls.length = 0;
    const response = await openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: TEXT, response_format: format });
    const bytes = Buffer.from(await response.arrayBuffer());
    const decoded = await decode(format, bytes);
    const expected = expectedSamples(host);
    t.equal(decoded.rate, 24000, `${format}: 24 kHz`);
    t.ok(Math.abs(decoded.samples - expected) <= slack[format]!, `${format}: ${decoded.samples} samples, expected ${expected}`);
    t.ok(host.pool.calls.length >= 2, `${format}: synthesized phrase by phrase`);
    t.ok(host.pool.calls.every((c) => c.voice === 'af_alloy'), `${format}: OpenAI voice mapped`);
  }
});

t.test('aac is refused with 400 invalid_format and a reason', async (t) => {
  const host = await startHost(t);
  const err = await client(host).audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hi.', response_format: 'aac' }).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof OpenAI.APIError);
  const e = err as InstanceType<typeof OpenAI.APIError>;
  t.same([e.status, e.code, e.param], [400, 'invalid_format', 'response_format']);
  t.match(e.message, /aac/);
  t.equal(host.pool.calls.length, 0);
});

t.test('bad inputs get their codes and statuses', async (t) => {
  const host = await startHost(t, { maxInputChars: 50 });
  const openai = client(host);
  const base = { model: 'tts-1', voice: 'alloy', input: 'Hello.' } as const;
  const cases: Array<[Record<string, unknown>, number, string, string | null]> = [
    [{ ...base, model: 'whisper-1' }, 400, 'invalid_request', 'model'],
    [{ ...base, voice: 'nobody' }, 400, 'invalid_voice', 'voice'],
    [{ ...base, speed: 5 }, 400, 'invalid_speed', 'speed'],
    [{ ...base, input: '' }, 400, 'empty_text', 'input'],
    [{ ...base, input: '... … !?' }, 400, 'empty_text', 'input'],
    [{ ...base, input: 'x'.repeat(51) }, 413, 'text_too_long', 'input'],
    [{ ...base, response_format: 'ogg' }, 400, 'invalid_format', 'response_format'],
    [{ ...base, stream_format: 'chunks' }, 400, 'invalid_request', 'stream_format'],
    [{ ...base, lang: 'klingon' }, 400, 'invalid_lang', 'lang'],
    [{ ...base, lang: 7 }, 400, 'invalid_lang', 'lang'],
    [{ ...base, lang_code: 'q' }, 400, 'invalid_lang', 'lang_code'],
  ];
  for (const [body, status, code, param] of cases) {
    const err = await openai.audio.speech.create(body as never).then(
      () => null,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    t.same([err?.status, err?.code, err?.param], [status, code, param], code);
    const raw = (err?.error ?? {}) as Record<string, unknown>;
    t.notMatch(JSON.stringify(raw), /\/work\/|at .*\.ts:\d+/, 'no paths or stack in the body');
  }
  t.equal(host.pool.calls.length, 0);
});

t.test('lang (or lang_code) reaches every synthesis request; a cross-language mix is accepted', async (t) => {
  const host = await startHost(t);
  await client(host).audio.speech.create({ model: 'kokoro', voice: 'ff_siwis+af_heart', input: 'Bonjour.', response_format: 'pcm', lang: 'fr-FR' } as never).then((r) => r.arrayBuffer());
  await client(host).audio.speech.create({ model: 'kokoro', voice: 'pm_alex', input: 'Olá.', response_format: 'pcm', lang_code: 'p' } as never).then((r) => r.arrayBuffer());
  t.same(host.pool.calls.map((c) => [c.voice, c.lang]), [['ff_siwis+af_heart', 'fr'], ['pm_alex', 'pt-br']]);
});

t.test('the first bytes leave before the last chunk is synthesized', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold((req) => req.text.startsWith('The end'));
  const response = await client(host).audio.speech.create({ model: 'kokoro', voice: 'af_heart', input: TEXT, response_format: 'pcm' });
  const reader = response.body!.getReader();
  const first = await reader.read();
  t.ok((first.value?.length ?? 0) > 0, 'audio arrived');
  await hold.reached;
  t.ok(host.pool.calls.some((c) => c.text.startsWith('The end')), 'the last chunk was asked for and is still held');
  hold.release();
  let total = first.value!.length;
  for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length;
  t.ok(total > first.value!.length, 'the rest followed after the release');
});

t.test('speed outside 0.5-2.0 is clamped and the applied speed is reported', async (t) => {
  const host = await startHost(t);
  const res = await fetch(`${host.base}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', voice: 'nova', input: 'Fast talk.', speed: 3.5, response_format: 'pcm' }),
  });
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-kokoro-speed'), '2');
  t.ok(res.headers.get('x-request-id'));
  await res.arrayBuffer();
  t.ok(host.pool.calls.every((c) => c.speed === 2));
});

t.test('sse: speech.audio.delta events with base64 audio, then speech.audio.done; a failed chunk is an error event', async (t) => {
  const host = await startHost(t, {}, { fail: (req) => (req.text.startsWith('Then') ? new TtsError('tts_chunk_failed', 'x') : undefined) });
  const res = await fetch(`${host.base}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini-tts', voice: 'alloy', input: TEXT, response_format: 'pcm', stream_format: 'sse' }),
  });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  const events = (await res.text())
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
  const types = events.map((e) => e.type);
  t.equal(types.at(-1), 'speech.audio.done');
  const failedIndex = host.pool.calls.findIndex((c) => c.text.startsWith('Then'));
  t.match(events.find((e) => e.type === 'error'), { error: { code: 'tts_chunk_failed', index: failedIndex } });
  const audio = Buffer.concat(events.filter((e) => e.type === 'speech.audio.delta').map((e) => Buffer.from(e.audio as string, 'base64')));
  const ok = host.pool.calls.filter((c) => !c.text.startsWith('Then'));
  t.equal(audio.length, ok.reduce((n, c) => n + Math.round(c.text.length * SAMPLES_PER_CHAR) * 2, 0), 'every delivered sample, once');
});

t.test('every chunk failing before any byte: 500 tts_all_failed, or 503 when the pool was overloaded', async (t) => {
  let code: 'tts_chunk_failed' | 'overloaded' = 'tts_chunk_failed';
  const host = await startHost(t, {}, { fail: () => new TtsError(code, 'no') });
  const openai = client(host);
  for (const [failure, status] of [['tts_chunk_failed', 500], ['overloaded', 503]] as const) {
    code = failure;
    const err = await openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: TEXT }).then(
      () => null,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    t.same([err?.status, err?.code], [status, 'tts_all_failed'], failure);
  }
});

t.test('a full pool queue refuses the request with 503 overloaded', async (t) => {
  const host = await startHost(t, { maxQueue: 2 });
  host.pool.setHealth({ queueDepth: 2 });
  const err = await client(host).audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hi.' }).then(
    () => null,
    (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
  );
  t.same([err?.status, err?.code], [503, 'overloaded']);
});

t.test('a client that aborts mid-stream cancels its turn; the pool is left empty', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold((req) => req.text.startsWith('Then'));
  const controller = new AbortController();
  const res = await fetch(`${host.base}/v1/audio/speech`, {
    method: 'POST',
    signal: controller.signal,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: TEXT, response_format: 'pcm' }),
  });
  const reader = res.body!.getReader();
  await reader.read();
  await hold.reached;
  controller.abort();
  const [owner] = (await once(host.pool, 'cancel_owner')) as [string];
  t.match(owner, /^http:/);
  await host.pool.idle();
  t.equal(host.pool.inFlight, 0);
  hold.release();
});
