/**
 * The user's lexicon (src/pronunciation/lexicon.ts): what a good file does, the code every
 * bad file gets, and a reload that keeps the old lexicon when the new file is bad. The
 * SIGHUP path on a real host is test/reliability/lexicon-sighup.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TtsError } from '../../src/errors.ts';
import { Lexicon, parseLexicon } from '../../src/pronunciation/lexicon.ts';
import { startHost } from '../helpers/gateway.ts';
import { memoryLogger } from '../helpers/pool.ts';

const dir = mkdtempSync(join(tmpdir(), 'lexicon-'));
let n = 0;
function file(content: unknown): string {
  const path = join(dir, `lexicon-${++n}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The catalogue code `fn` throws with, or 'no error'. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof TtsError ? err.code : `not a TtsError: ${String(err)}`;
  }
  return 'no error';
}

const GOOD = { a: { Kokoro: 'kˈOkəɹO', nginx: 'ˈɛnʤɪnˈɛks' }, 'en-gb': { tomato: 'təmˈɑːtəʊ' } };

t.test('entries become phoneme tags in the voice language, tags already there left alone', async (t) => {
  const lex = new Lexicon(file(GOOD));
  t.equal(lex.size, 3);
  t.equal(lex.apply('Kokoro runs behind nginx.', 'af_heart'), '[Kokoro](/kˈOkəɹO/) runs behind [nginx](/ˈɛnʤɪnˈɛks/).');
  t.equal(lex.apply('kokoro', 'am_adam'), 'kokoro', 'as written, else lower case: "kokoro" is no entry');
  t.equal(lex.apply('NGINX', 'af_heart'), '[NGINX](/ˈɛnʤɪnˈɛks/)', 'lower-case fallback');
  t.equal(lex.apply('A tomato.', 'af_heart'), 'A tomato.', 'British entries do not apply to an American voice');
  t.equal(lex.apply('A tomato.', 'bf_emma'), 'A [tomato](/təmˈɑːtəʊ/).');
  t.equal(lex.apply('[Kokoro](/kəkˈɔɹO/) and Kokoro', 'af_heart'), '[Kokoro](/kəkˈɔɹO/) and [Kokoro](/kˈOkəɹO/)', "the user's own tag wins");
  t.equal(lex.apply('Kokoros', 'af_heart'), 'Kokoros', 'whole words only');
});

t.test('every bad file is invalid_lexicon', async (t) => {
  const bad: unknown[] = [
    '{ not json',
    '[]',
    { klingon: { a: 'b' } },
    { a: ['Kokoro'] },
    { a: { Kokoro: 5 } },
    { a: { Kokoro: 'k§' } },
    { a: { Kokoro: '' } },
    { a: { 'two words': 'tˈu' } },
  ];
  for (const content of bad) {
    t.equal(codeOf(() => new Lexicon(file(content))), 'invalid_lexicon', JSON.stringify(content));
  }
  t.equal(codeOf(() => new Lexicon(join(dir, 'missing.json'))), 'invalid_lexicon', 'a missing file');
  t.throws(() => parseLexicon(JSON.stringify({ a: { x: 'a'.repeat(600) } })), /at most 510/, 'over the token limit');
});

t.test('reload: a good file replaces, a bad one keeps the old lexicon with a warning', async (t) => {
  const path = file(GOOD);
  const lex = new Lexicon(path);
  const log = memoryLogger();
  writeFileSync(path, JSON.stringify({ a: { Kokoro: 'kəkˈɔɹO' } }));
  t.equal(lex.reload(log), true);
  t.match(log.lines.at(-1), { level: 'info', msg: 'lexicon reloaded', obj: { entries: 1 } });
  t.equal(lex.apply('Kokoro', 'af_heart'), '[Kokoro](/kəkˈɔɹO/)');
  writeFileSync(path, '{ broken');
  t.equal(lex.reload(log), false);
  t.match(log.lines.at(-1), { level: 'warn', obj: { code: 'invalid_lexicon', entries: 1 } });
  t.equal(lex.apply('Kokoro', 'af_heart'), '[Kokoro](/kəkˈɔɹO/)', 'the old lexicon stays');
});

t.test('the lexicon reaches synthesis on every protocol, the chunk text echoed as written', async (t) => {
  const host = await startHost(t, { lexiconPath: file(GOOD) });
  const res = await fetch(`${host.base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'kokoro', voice: 'af_heart', input: 'Kokoro is fast.', response_format: 'pcm' }) });
  t.equal(res.status, 200);
  await res.arrayBuffer();
  t.same(host.pool.calls.map((c) => c.text), ['[Kokoro](/kˈOkəɹO/) is fast.']);
  const ph = await fetch(`${host.base}/v1/phonemize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Kokoro' }) });
  t.same(((await ph.json()) as { phonemes: string }).phonemes, 'kˈOkəɹO', '/v1/phonemize reads with the lexicon too');
});
