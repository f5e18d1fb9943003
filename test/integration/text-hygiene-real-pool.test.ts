/**
 * The hand-picked hygiene inputs through the speech route on a REAL pool (synthetic model,
 * real kokoro-js/espeak-ng G2P): each answers 200 with audio, where "\u0000 hi" answered
 * 500 tts_all_failed before text hygiene, and markup reaches the worker intact.
 */
import t from 'tap';
import { startRealPoolHost } from '../helpers/gateway.ts';

const PICKED = ['\u0000 hi', 'a\u0000b c', 'hello\u0000world', '\uD800 lone high', '\u202Eevil\u202C text', 'zero\u200Bwidth join', '\uFEFFbom start', 'mixed \u0000\u0001\u0002 controls', 'ends with a high \uD83D'];

t.test('no 500 and audio for every hand-picked input', async (t) => {
  const host = await startRealPoolHost(t);
  for (const input of PICKED) {
    const res = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kokoro', voice: 'af_heart', input, response_format: 'pcm' }) });
    const bytes = (await res.arrayBuffer()).byteLength;
    t.equal(res.status, 200, JSON.stringify(input));
    t.ok(bytes > 0, 'audio');
  }
});

t.test('a pause tag through the whole host: its silence is in the response', async (t) => {
  const host = await startRealPoolHost(t);
  const res = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kokoro', voice: 'af_heart', input: 'Hello there. [pause:1s] General Kenobi.', response_format: 'pcm' }) });
  const pcm = new Int16Array(await res.arrayBuffer());
  t.equal(res.status, 200);
  let longest = 0;
  let run = 0;
  for (const s of pcm) {
    run = s === 0 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  t.ok(longest >= 24000, `a run of ${longest} silent samples holds the 1 s pause`);
});
