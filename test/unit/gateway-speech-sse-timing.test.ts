/**
 * Word timing events on POST /v1/audio/speech `stream_format: "sse"` (`return_timestamps: true`):
 * each chunk's delta is followed by `speech.audio.timestamps` with its words in seconds on the
 * response's timeline, the same entries captioned speech gives; a host that cannot time refuses.
 */
import t from 'tap';
import { startHost, type Host } from '../helpers/gateway.ts';

const TEXT = 'The quick brown fox jumps over the lazy dog. Then it naps in the sun, dreaming of nothing at all. The end.';

type Stamp = { word: string; start_time: number; end_time: number };

async function post(host: Host, path: string, body: unknown): Promise<Response> {
  return fetch(`${host.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function sseEvents(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
}

t.test('sse with return_timestamps: delta then timestamps per chunk, in order, the same times as captioned speech', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const res = await post(host, '/v1/audio/speech', { model: 'tts-1', voice: 'alloy', input: TEXT, response_format: 'pcm', stream_format: 'sse', return_timestamps: true });
  t.equal(res.status, 200);
  const events = sseEvents(await res.text());
  const timing = events.filter((e) => e.type === 'speech.audio.timestamps');
  t.equal(timing.length, host.pool.calls.length, 'one timing event per chunk');
  t.same(timing.map((e) => e.index), host.pool.calls.map((_, i) => i), 'in chunk order');
  for (const [i, e] of events.entries()) {
    if (e.type === 'speech.audio.timestamps') t.equal(events[i - 1]?.type, 'speech.audio.delta', 'after the audio it times');
  }
  t.equal(events.at(-1)?.type, 'speech.audio.done');
  const stamps = timing.flatMap((e) => e.timestamps as Stamp[]);
  const captioned = (await (await post(host, '/dev/captioned_speech', { input: TEXT, voice: 'alloy', response_format: 'pcm', stream: false })).json()) as { timestamps: Stamp[] };
  t.same(stamps, captioned.timestamps, 'the same words and times');
  t.ok(stamps.every((s, i) => s.end_time >= s.start_time && (i === 0 || s.start_time >= stamps[i - 1]!.start_time)), 'monotonic');
});

t.test('without return_timestamps the SSE stream is as before: no timing events', async (t) => {
  const host = await startHost(t, {}, { words: true });
  const res = await post(host, '/v1/audio/speech', { model: 'tts-1', voice: 'alloy', input: TEXT, response_format: 'pcm', stream_format: 'sse' });
  const types = new Set(sseEvents(await res.text()).map((e) => e.type));
  t.same([...types].sort(), ['speech.audio.delta', 'speech.audio.done']);
});

t.test('return_timestamps: needs sse, must be a boolean, and a host that cannot time answers 501', async (t) => {
  const host = await startHost(t);
  const base = { model: 'tts-1', voice: 'alloy', input: 'Hello there.', response_format: 'pcm' };
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ ...base, return_timestamps: true }, 400, 'invalid_request'],
    [{ ...base, stream_format: 'sse', return_timestamps: 'yes' }, 400, 'invalid_request'],
    [{ ...base, stream_format: 'sse', return_timestamps: true }, 501, 'timing_unavailable'],
  ];
  for (const [body, status, code] of cases) {
    const res = await post(host, '/v1/audio/speech', body);
    const { error } = (await res.json()) as { error: { code: string; param: string } };
    t.same([res.status, error.code, error.param], [status, code, 'return_timestamps'], code);
  }
  t.equal(host.pool.calls.length, 1, 'only the request that could be timed was synthesized (and then refused)');
});
