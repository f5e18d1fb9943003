/**
 * POST /v1/speak (Deepgram REST Speak) driven by the unmodified @deepgram/sdk REST client
 * (`speak.v1.audio.generate`) pointed at the host by base URL: each encoding, container,
 * rate and bit rate decodes as that format; bad input gets Deepgram's error shape with the
 * catalogue code; the key is read from `Authorization: Token`; audio streams as chunks complete.
 */
import t from 'tap';
import { DeepgramClient, DeepgramError } from '@deepgram/sdk';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { MPEGDecoder } from 'mpg123-decoder';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { startHost, type Host } from '../helpers/gateway.ts';

const TEXT = 'The quick brown fox jumps over the lazy dog. Then it naps in the sun. The end.';

function sdk(host: Host, apiKey = 'unused'): DeepgramClient {
  return new DeepgramClient({ apiKey, baseUrl: host.base });
}

/** Samples of every chunk at `rate`, as the host resamples chunk by chunk. */
function expectedSamples(host: Host, rate = 24000): number {
  return host.pool.calls.reduce((n, c) => n + Math.round((Math.round(c.text.length * 240) * rate) / 24000), 0);
}

async function generate(host: Host, args: Record<string, unknown>): Promise<Buffer> {
  const response = await sdk(host).speak.v1.audio.generate({ text: TEXT, ...args } as never);
  return Buffer.from(await response.arrayBuffer());
}

function wav(buf: Buffer): { tag: number; rate: number; bits: number; data: number } {
  return { tag: buf.readUInt16LE(20), rate: buf.readUInt32LE(24), bits: buf.readUInt16LE(34), data: buf.length - 44 };
}

t.test('defaults: a WAV of linear16 at 24 kHz holding every chunk once', async (t) => {
  const host = await startHost(t);
  const file = await generate(host, { model: 'aura-2-thalia-en' });
  t.equal(file.toString('ascii', 0, 4), 'RIFF');
  t.same(wav(file), { tag: 1, rate: 24000, bits: 16, data: expectedSamples(host) * 2 });
  t.ok(host.pool.calls.length >= 2 && host.pool.calls.every((c) => c.voice === 'af_heart'), 'thalia is af_heart, several chunks');
});

t.test('linear16, mulaw and alaw at their rates, in WAV or bare', async (t) => {
  const host = await startHost(t);
  const cases: Array<[Record<string, unknown>, number, number, number]> = [
    [{ encoding: 'linear16', sample_rate: 16000, container: 'none' }, 0, 16000, 2],
    [{ encoding: 'mulaw' }, 7, 8000, 1],
    [{ encoding: 'alaw', sample_rate: 16000 }, 6, 16000, 1],
    [{ encoding: 'mulaw', container: 'none' }, 0, 8000, 1],
  ];
  for (const [args, tag, rate, bytes] of cases) {
    host.pool.calls.length = 0;
    const file = await generate(host, args);
    if (tag === 0) t.equal(file.length, expectedSamples(host, rate) * bytes, `${JSON.stringify(args)}: bare samples`);
    else t.same(wav(file), { tag, rate, bits: bytes * 8, data: expectedSamples(host, rate) * bytes }, JSON.stringify(args));
  }
});

t.test('mp3 (22.05 kHz, its bit rate), opus (Ogg, 48 kHz) and flac decode at the rates Deepgram gives', async (t) => {
  const host = await startHost(t);
  const mp3 = new MPEGDecoder();
  await mp3.ready;
  host.pool.calls.length = 0;
  const m = mp3.decode(await generate(host, { encoding: 'mp3', bit_rate: 32000 }));
  mp3.free();
  t.same([m.errors.length, m.sampleRate], [0, 22050]);
  t.ok(Math.abs(m.samplesDecoded - expectedSamples(host, 22050)) <= 2 * 1152, 'the whole text, within the codec padding');

  const opus = new OggOpusDecoder();
  await opus.ready;
  host.pool.calls.length = 0;
  const o = await opus.decodeFile(await generate(host, { encoding: 'opus' }));
  opus.free();
  t.same([o.errors.length, o.sampleRate], [0, 48000]);
  t.ok(Math.abs(o.samplesDecoded - expectedSamples(host, 48000)) <= 48 * 40, 'the whole text, within two frames');

  const flac = new FLACDecoder();
  await flac.ready;
  host.pool.calls.length = 0;
  const f = await flac.decodeFile(await generate(host, { encoding: 'flac', sample_rate: 16000 }));
  flac.free();
  t.same([f.errors.length, f.sampleRate, f.samplesDecoded], [0, 16000, expectedSamples(host, 16000)]);
});

t.test('bad input: Deepgram error bodies with the catalogue code, nothing synthesized', async (t) => {
  const host = await startHost(t, { maxInputChars: 100 });
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ model: 'aura-nobody-en' }, 400, 'invalid_voice'],
    [{ model: 'aura-2-celeste-es' }, 400, 'invalid_voice'],
    [{ encoding: 'aac' }, 400, 'invalid_format'],
    [{ encoding: 'wma' }, 400, 'invalid_format'],
    [{ encoding: 'mp3', sample_rate: 24000 }, 400, 'invalid_format'],
    [{ encoding: 'linear16', container: 'ogg' }, 400, 'invalid_format'],
    [{ encoding: 'linear16', bit_rate: 32000 }, 400, 'invalid_format'],
    [{ encoding: 'opus', bit_rate: 1000 }, 400, 'invalid_format'],
    [{ sample_rate: 44100 }, 400, 'invalid_format'],
    [{ speed: 9 }, 400, 'invalid_speed'],
    [{ callback: 'https://example.invalid/' }, 400, 'invalid_request'],
    [{ text: '' }, 400, 'empty_text'],
    [{ text: 'x'.repeat(101) }, 413, 'text_too_long'],
  ];
  for (const [args, status, code] of cases) {
    const err = await generate(host, args).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof DeepgramError, `${JSON.stringify(args)}: the SDK raises its error`);
    const e = err as DeepgramError;
    t.same([e.statusCode, (e.body as Record<string, unknown>).err_code], [status, code], JSON.stringify(args));
    t.match(e.body, { err_msg: String, request_id: String });
  }
  for (const [body, code] of [['{"text": "Hi', 'invalid_request'], ['["Hi"]', 'invalid_request'], ['{"url": "https://example.invalid/t.txt"}', 'invalid_request'], ['{"text": 5}', 'invalid_request']] as const) {
    const res = await fetch(`${host.base}/v1/speak`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    t.same([res.status, ((await res.json()) as { err_code: string }).err_code], [400, code], body);
    t.ok(res.headers.get('dg-error'), 'dg-error header');
  }
  t.equal(host.pool.calls.length, 0);
});

t.test('auth: the SDK\'s Token header is the key; a wrong key is 401', async (t) => {
  const host = await startHost(t, { apiKey: 'sekret' });
  const ok = await sdk(host, 'sekret').speak.v1.audio.generate({ text: 'Hello.' });
  t.ok((await ok.arrayBuffer()).byteLength > 44);
  const err = await sdk(host, 'wrong').speak.v1.audio.generate({ text: 'Hello.' }).then(
    () => null,
    (e: unknown) => e as DeepgramError,
  );
  t.equal(err?.statusCode, 401);
});

t.test('the first bytes leave before the last chunk is synthesized', async (t) => {
  const host = await startHost(t);
  const hold = host.pool.hold((req) => req.text.startsWith('The end'));
  const response = await sdk(host).speak.v1.audio.generate({ text: TEXT });
  const reader = response.stream()!.getReader();
  const first = await reader.read();
  t.ok((first.value?.length ?? 0) > 44, 'header and audio arrived');
  await hold.reached;
  hold.release();
  let total = first.value!.length;
  for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length;
  t.equal(total, 44 + expectedSamples(host) * 2, 'the rest followed after the release');
});
