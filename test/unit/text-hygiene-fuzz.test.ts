/**
 * The fuzz corpus: hand-picked and generated texts full of controls, NUL, lone surrogates,
 * bidi and zero-width marks, through every protocol (OpenAI speech, native ws, Deepgram).
 * The fake pool fails any chunk that still holds such a character, as espeak-ng did before
 * text hygiene (measured: "\u0000 hi" answered 500 tts_all_failed). Asserted: no 500, no
 * error or warning, and no lost words: the chunks sent to synthesis hold every word of the
 * input, in order, where a control or lone surrogate separates words and a format mark joins.
 */
import t from 'tap';
import { TtsError } from '../../src/errors.ts';
import type { SynthesizeRequest } from '../../src/synth/types.ts';
import { SpeakClient, wsBase } from '../helpers/deepgram-client.ts';
import { startHost, WsClient, type Host } from '../helpers/gateway.ts';

/** What must never reach G2P (text hygiene removes or replaces every one). */
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF\p{Cf}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;
const refuseDirty = (req: SynthesizeRequest) => (FORBIDDEN.test(req.text) ? new TtsError('inference_error', 'espeak-ng stopped at a control character') : undefined);

/** Hand-picked: each with the words a listener must hear. */
const PICKED: ReadonlyArray<[string, string[]]> = [
  ['\u0000 hi', ['hi']],
  ['a\u0000b c', ['a', 'b', 'c']],
  ['hello\u0000world', ['hello', 'world']],
  ['\uD800 lone high', ['lone', 'high']],
  ['low\uDC00surrogate here', ['low', 'surrogate', 'here']],
  ['\u202Eevil\u202C text', ['evil', 'text']],
  ['zero\u200Bwidth join', ['zerowidth', 'join']],
  ['\uFEFFbom start', ['bom', 'start']],
  ['tab\tand\u000Bvertical', ['tab', 'and', 'vertical']],
  ['C1\u0085next', ['C1', 'next']],
  ['mixed \u0000\u0001\u0002 controls', ['mixed', 'controls']],
  ['\u2066isolate\u2069 x', ['isolate', 'x']],
  ['soft\u00ADhyphen word', ['softhyphen', 'word']],
  ['ends with a high \uD83D', ['ends', 'with', 'a', 'high']],
  ['nonchar \uFFFF x', ['nonchar', 'x']],
  ['emoji 👍🏽 stays', ['emoji', '👍🏽', 'stays']],
];

/** A small deterministic PRNG (mulberry32): the generated corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const WORDS = 'the quick brown fox jumps over lazy dog seven bright cold clocks striking thirteen April'.split(' ');
const SEPARATORS = ['\u0000', '\u0001', '\u001B', '\u007F', '\u0090', '\uD800', '\uDFFF', '\uFFFE'];
const JOINERS = ['\u200B', '\u200C', '\u200D', '\u200E', '\u202A', '\u202E', '\u2066', '\u2069', '\uFEFF', '\u00AD', '\u2060'];

function generated(count: number): Array<[string, string[]]> {
  const rnd = prng(17);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const out: Array<[string, string[]]> = [];
  for (let i = 0; i < count; i++) {
    let text = '';
    const words: string[] = [];
    const n = 1 + Math.floor(rnd() * 30);
    for (let w = 0; w < n; w++) {
      const word = pick(WORDS);
      const cut = 1 + Math.floor(rnd() * (word.length - 1));
      // A format mark inside a word joins (the word stays as seen); a separator between words separates.
      text += rnd() < 0.3 ? word.slice(0, cut) + pick(JOINERS) + word.slice(cut) : word;
      words.push(word);
      if (w < n - 1) text += rnd() < 0.4 ? pick(SEPARATORS) : rnd() < 0.5 ? ` ${pick(JOINERS)}` : ' ';
    }
    if (rnd() < 0.3) text = pick(SEPARATORS) + text;
    out.push([text + (rnd() < 0.5 ? '.' : ''), words]);
  }
  return out;
}

const CORPUS = [...PICKED, ...generated(40)];
const wordsOf = (texts: readonly string[]) => texts.join(' ').split(/\s+/).map((w) => w.replace(/[.]$/, '')).filter((w) => w !== '');

function sentSince(host: Host, from: number): string[] {
  return host.pool.calls.slice(from).map((c) => c.text);
}

t.test('OpenAI speech: no 500, every word synthesized', async (t) => {
  const host = await startHost(t, {}, { fail: refuseDirty });
  for (const [input, words] of CORPUS) {
    const from = host.pool.calls.length;
    const res = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kokoro', voice: 'af_heart', input, response_format: 'pcm' }) });
    await res.arrayBuffer();
    t.equal(res.status, 200, JSON.stringify(input));
    t.same(wordsOf(sentSince(host, from)), words, JSON.stringify(input));
  }
});

t.test('native ws: no error frame, no failed chunk, the chunks echo every word', async (t) => {
  const host = await startHost(t, {}, { fail: refuseDirty });
  const client = await WsClient.open(host.wsUrl);
  t.teardown(() => client.close());
  await client.json('ready');
  let turn = 0;
  for (const [input, words] of CORPUS) {
    const id = `t${++turn}`;
    client.send({ type: 'speak', text: input, turn_id: id });
    const frames = await client.until((d) => d.type === 'tts_done' && d.turn_id === id);
    const json = frames.flatMap((f) => (f.kind === 'json' ? [f.data] : []));
    t.same(json.filter((d) => d.type === 'error'), [], JSON.stringify(input));
    t.match(json.at(-1), { failed: 0 });
    t.same(wordsOf(json.filter((d) => d.type === 'tts_meta').map((d) => String(d.text))), words, JSON.stringify(input));
  }
});

t.test('Deepgram: no Warning, every word synthesized before Flushed', async (t) => {
  const host = await startHost(t, {}, { fail: refuseDirty });
  const client = await SpeakClient.open(t, wsBase(host.base));
  for (const [input, words] of CORPUS) {
    const from = host.pool.calls.length;
    client.speak(input);
    client.flush();
    const messages = await client.until('Flushed');
    t.same(messages.filter((m) => m.kind === 'json' && m.data.type === 'Warning'), [], JSON.stringify(input));
    t.same(wordsOf(sentSince(host, from)), words, JSON.stringify(input));
  }
});
