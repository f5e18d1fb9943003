/**
 * POST /dev/captioned_speech (Kokoro-FastAPI's shapes) and the SSE timing events of
 * POST /v1/audio/speech, on a fake pool whose audio carries word times: timestamps are in
 * seconds on the response's timeline (each chunk's words moved by the audio before it),
 * monotonic, inside their chunk's audio; a host that cannot time says so with its code.
 */
import t, { type Test } from 'tap';
import { TtsError } from '../../src/errors.ts';
import type { SynthesizeRequest, SynthesizedAudio } from '../../src/synth/types.ts';
import { FakePool, fakeWords } from '../helpers/fake-pool.ts';
import { startHost, startHostWith, type Host } from '../helpers/gateway.ts';

const TEXT = 'The quick brown fox jumps over the lazy dog. Then it naps in the sun, dreaming of nothing at all. The end.';
const RATE = 24000;

type Stamp = { word: string; start_time: number; end_time: number };

async function post(host: Host, path: string, body: unknown): Promise<Response> {
  return fetch(`${host.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** The timestamps the fake's chunks must give, derived from the calls it served in order. */
function expectedStamps(host: Host): Stamp[] {
  let samples = 0;
  const out: Stamp[] = [];
  for (const call of host.pool.calls) {
    const offsetMs = Math.round((samples / RATE) * 1000);
    for (const w of fakeWords(call.text, call.speed)) {
      out.push({ word: w.word, start_time: Math.round(offsetMs + w.startMs) / 1000, end_time: Math.round(offsetMs + w.endMs) / 1000 });
    }
    samples += Math.round((call.text.length * 240) / call.speed);
  }
  return out;
}

function checkMonotonic(t: Test, stamps: Stamp[], durationS: number): void {
  let last = 0;
  for (const s of stamps) {
    t.ok(s.start_time >= last - 0.001 && s.end_time >= s.start_time && s.end_time <= durationS + 0.001, `${s.word} ${s.start_time}-${s.end_time} in order, inside ${durationS} s`);
    last = s.start_time;
  }
}

t.test('not streamed: one JSON document, audio as base64 pcm, every word timed on the whole timeline', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const res = await post(host, '/dev/captioned_speech', { input: TEXT, voice: 'af_heart', response_format: 'pcm', stream: false });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^application\/json/);
  const body = (await res.json()) as { audio: string; audio_format: string; timestamps: Stamp[] };
  t.equal(body.audio_format, 'audio/pcm');
  t.ok(host.pool.calls.length >= 2, 'the input was several chunks');
  const samples = Buffer.from(body.audio, 'base64').length / 2;
  t.equal(samples, host.pool.calls.reduce((n, c) => n + Math.round(c.text.length * 240), 0), 'every chunk once');
  t.same(body.timestamps.map((s) => s.word), TEXT.split(' '), 'every word, in order');
  t.same(body.timestamps, expectedStamps(host), 'each chunk moved by the audio before it');
  checkMonotonic(t, body.timestamps, samples / RATE);
});

t.test('streamed: one JSON line per chunk; the lines make the same file and the same timestamps', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const res = await post(host, '/dev/captioned_speech', { input: TEXT, voice: 'af_heart', response_format: 'pcm' });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-disposition'), 'attachment; filename=speech.pcm');
  const lines = (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { audio: string; audio_format: string; timestamps: Stamp[] });
  t.equal(lines.length, host.pool.calls.length, 'a line per chunk (pcm holds nothing back)');
  let at = 0;
  for (const line of lines) {
    const seconds = Buffer.from(line.audio, 'base64').length / 2 / RATE;
    for (const s of line.timestamps) t.ok(s.start_time >= at - 0.001 && s.end_time <= at + seconds + 0.001, `${s.word} inside its line's audio`);
    at += seconds;
  }
  const stamps = lines.flatMap((l) => l.timestamps);
  t.same(stamps, expectedStamps(host));
  checkMonotonic(t, stamps, at);
});

t.test('mp3, wav: the encoder output; a whole wav says its sizes', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const wav = (await (await post(host, '/dev/captioned_speech', { input: 'Hello there.', response_format: 'wav', stream: false })).json()) as { audio: string };
  const file = Buffer.from(wav.audio, 'base64');
  t.same([file.toString('ascii', 0, 4), file.readUInt32LE(4), file.readUInt32LE(40)], ['RIFF', file.length - 8, file.length - 44]);
  const res = await post(host, '/dev/captioned_speech', { input: TEXT, response_format: 'mp3' });
  const lines = (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { audio: string; audio_format: string; timestamps: Stamp[] });
  t.ok(lines.every((l) => l.audio_format === 'audio/mpeg'));
  t.same(lines.flatMap((l) => l.timestamps).map((s) => s.word), TEXT.split(' '), 'words held back with buffered bytes come on a later line');
});

t.test('return_timestamps false: [] per line, null in the document, as Kokoro-FastAPI', async (t) => {
  const host = await startHost(t);
  const streamed = await post(host, '/dev/captioned_speech', { input: TEXT, response_format: 'pcm', return_timestamps: false });
  const lines = (await streamed.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { timestamps: unknown });
  t.ok(lines.length > 0 && lines.every((l) => Array.isArray(l.timestamps) && l.timestamps.length === 0));
  const whole = (await (await post(host, '/dev/captioned_speech', { input: TEXT, response_format: 'pcm', return_timestamps: false, stream: false })).json()) as { timestamps: unknown };
  t.equal(whole.timestamps, null);
});

t.test('a host that cannot time words: 501 timing_unavailable before anything is sent, its work cancelled', async (t) => {
  const host = await startHost(t);
  for (const stream of [true, false]) {
    const res = await post(host, '/dev/captioned_speech', { input: TEXT, response_format: 'pcm', stream });
    t.equal(res.status, 501, `stream ${stream}`);
    t.match(await res.json(), { error: { code: 'timing_unavailable', param: 'return_timestamps' } });
  }
  t.ok(host.pool.cancelledOwners.length >= 2, 'the turns were cancelled');
  await host.pool.idle();
});

/** Times only the first sentence's chunk, as a router would when later chunks fall over to an upstream. */
class FirstChunkTimedPool extends FakePool {
  override async synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    const audio = await super.synthesize(req);
    if (req.text.startsWith('The quick')) return audio;
    const { words: _untimed, ...rest } = audio;
    return rest;
  }
}

t.test('a later chunk that cannot be timed: null on its line when streamed; the document is refused', async (t) => {
  const host = await startHostWith(t, new FirstChunkTimedPool({ words: true }));
  const res = await post(host, '/dev/captioned_speech', { input: TEXT, response_format: 'pcm' });
  const lines = (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { timestamps: unknown });
  t.ok(Array.isArray(lines[0]?.timestamps) && (lines[0]?.timestamps as unknown[]).length > 0, 'the first chunk is timed');
  t.ok(lines.length > 1 && lines.slice(1).every((l) => l.timestamps === null), 'later ones say "cannot time"');
  const whole = await post(host, '/dev/captioned_speech', { input: TEXT, response_format: 'pcm', stream: false });
  t.equal(whole.status, 501);
});

t.test('a skipped chunk is an error line; the rest is delivered', async (t) => {
  const host = await startHost(t, {}, { words: true, fail: (req) => (req.text.startsWith('Then') ? new TtsError('tts_chunk_failed', 'x') : undefined) });
  const res = await post(host, '/dev/captioned_speech', { input: TEXT, response_format: 'pcm' });
  const lines = (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  const failedIndex = host.pool.calls.findIndex((c) => c.text.startsWith('Then'));
  t.match(lines.find((l) => 'error' in l), { error: { code: 'tts_chunk_failed', index: failedIndex } });
  t.ok(lines.filter((l) => 'audio' in l).length >= 2);
});

t.test('bad inputs get their codes and change nothing', async (t) => {
  const host = await startHost(t, { maxInputChars: 50 }, { words: true });
  const base = { input: 'Hello.', voice: 'af_heart' };
  const cases: Array<[unknown, number, string, string | null]> = [
    [{ ...base, response_format: 'ogg' }, 400, 'invalid_format', 'response_format'],
    [{ ...base, response_format: 'aac' }, 400, 'invalid_format', 'response_format'],
    [{ ...base, voice: 'nobody' }, 400, 'invalid_voice', 'voice'],
    [{ ...base, input: '' }, 400, 'empty_text', 'input'],
    [{ ...base, input: 'x'.repeat(51) }, 413, 'text_too_long', 'input'],
    [{ ...base, speed: 0.1 }, 400, 'invalid_speed', 'speed'],
    [{ ...base, model: 'whisper-1' }, 400, 'invalid_request', 'model'],
    [{ ...base, stream: 'yes' }, 400, 'invalid_request', 'stream'],
    [{ ...base, return_timestamps: 1 }, 400, 'invalid_request', 'return_timestamps'],
    [{ ...base, return_download_link: true }, 400, 'invalid_request', 'return_download_link'],
    [{ ...base, volume_multiplier: 2 }, 400, 'invalid_request', 'volume_multiplier'],
    [{ ...base, lang_code: 5 }, 400, 'invalid_request', 'lang_code'],
    [[base], 400, 'invalid_request', null],
    ['{"input": "Hello.",', 400, 'invalid_request', null],
  ];
  for (const [body, status, code, param] of cases) {
    const res = await post(host, '/dev/captioned_speech', body);
    const { error } = (await res.json()) as { error: { code: string; param: string | null } };
    t.same([res.status, error.code, error.param], [status, code, param], code);
  }
  t.equal(host.pool.calls.length, 0);
});
