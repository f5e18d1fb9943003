import t from 'tap';
import { PhraseChunker, type PhraseChunk, type PhraseChunkerOptions } from '../../src/pipeline/phrase-chunker.ts';
import { estimateTokens, estimateWordTokens, isSpeakable } from '../../src/common/token-estimate.ts';

const BUDGET = 300;
const FIRST_WORDS = 8;
const FIRST_TOKENS = 120;
const KOKORO_LIMIT = 510;

function chunkAll(input: string, splits: number[] | 'whole' = 'whole', opts?: PhraseChunkerOptions): PhraseChunk[] {
  const c = new PhraseChunker(opts);
  const out: PhraseChunk[] = [];
  if (splits === 'whole') out.push(...c.push(input));
  else {
    let at = 0;
    for (const n of splits) {
      if (at >= input.length) break;
      out.push(...c.push(input.slice(at, at + n)));
      at += n;
    }
    out.push(...c.push(input.slice(at)));
  }
  out.push(...c.flush());
  return out;
}

const texts = (chunks: PhraseChunk[]) => chunks.map((c) => c.text);
const noSpace = (s: string) => s.replace(/\s+/gu, '');

/**
 * Every speakable character of the input is in the chunks, in order; whatever was left
 * out is only whitespace or text with nothing to say (a stray "..."). Returns a problem or null.
 */
function lostText(input: string, chunks: PhraseChunk[]): string | null {
  const src = [...noSpace(input)];
  const got = [...noSpace(chunks.map((c) => c.text).join(''))];
  let j = 0;
  let skipped = '';
  for (const ch of src) {
    if (j < got.length && got[j] === ch) {
      j++;
      continue;
    }
    skipped += ch;
  }
  if (j !== got.length) return `chunks hold text not in the input at ${j}`;
  if (isSpeakable(skipped)) return `lost ${JSON.stringify(skipped.slice(0, 80))}`;
  return null;
}

/** Where each chunk sits in the input; a cut not on whitespace is a giant-word split or after CJK punctuation. */
function badCuts(input: string, chunks: PhraseChunk[]): string[] {
  const problems: string[] = [];
  let from = 0;
  for (const [i, c] of chunks.entries()) {
    const at = input.indexOf(c.text, from);
    if (at < 0) {
      problems.push(`chunk ${i} not found verbatim`);
      return problems;
    }
    const end = at + c.text.length;
    const next = input[end];
    let wordStart = end;
    while (wordStart > 0 && !/\s/u.test(input[wordStart - 1]!)) wordStart--;
    let wordEnd = end;
    while (wordEnd < input.length && !/\s/u.test(input[wordEnd]!)) wordEnd++;
    const word = input.slice(wordStart, wordEnd);
    const giant = estimateWordTokens(word) > BUDGET || word.length > 1000;
    const cjk = /[。！？、，；：]["'”’»)\]}」』）]*$/u.test(c.text);
    if (next !== undefined && !/\s/u.test(next) && !giant && !cjk && i < chunks.length - 1) {
      problems.push(`chunk ${i} cut mid-word: ${JSON.stringify(input.slice(Math.max(0, end - 15), end + 15))}`);
    }
    from = end;
  }
  return problems;
}

t.test('table: phrase boundaries', async (t) => {
  const cases: { name: string; input: string; expect: string[]; opts?: PhraseChunkerOptions }[] = [
    { name: 'first clause of 3+ words, then sentences', input: 'Sure, I can help with that. The answer is yes.', expect: ['Sure, I can help with that.', 'The answer is yes.'] },
    { name: 'a 3-word clause ends the first chunk', input: 'Well, I think that, in general, this works.', expect: ['Well, I think that,', 'in general, this works.'] },
    { name: 'short sentences', input: 'Hello there! How are you? Fine.', expect: ['Hello there!', 'How are you?', 'Fine.'] },
    {
      name: 'first chunk capped at 8 words',
      input: 'one two three four five six seven eight nine ten eleven twelve.',
      expect: ['one two three four five six seven eight', 'nine ten eleven twelve.'],
    },
    {
      name: 'abbreviations and decimals do not end sentences',
      input: "Okay. Right. Dr. Smith met Mr. Jones, e.g. at St. Paul's, at 3.14 p.m. yesterday. They left.",
      expect: ['Okay.', 'Right.', "Dr. Smith met Mr. Jones, e.g. at St. Paul's, at 3.14 p.m. yesterday.", 'They left.'],
    },
    { name: 'U.S. before a capital ends a sentence', input: 'Okay. I live in the U.S. It is big.', expect: ['Okay.', 'I live in the U.S.', 'It is big.'] },
    { name: 'U.S. before lower case does not', input: 'Okay. The U.S. government is big.', expect: ['Okay.', 'The U.S. government is big.'] },
    { name: 'initials', input: 'Okay. J. R. R. Tolkien wrote books.', expect: ['Okay.', 'J. R. R. Tolkien wrote books.'] },
    { name: 'etc. before lower case', input: 'Okay. Apples, pears etc. are fruit. Yes.', expect: ['Okay.', 'Apples, pears etc. are fruit.', 'Yes.'] },
    { name: 'numbered list items and newlines', input: '1. Buy milk\n2. Buy eggs', expect: ['1. Buy milk', '2. Buy eggs'] },
    { name: 'newlines and paragraphs', input: 'First line\nSecond line\n\nThird one', expect: ['First line', 'Second line', 'Third one'] },
    { name: 'ellipsis is a pause, not an end, after the first chunk', input: 'Okay. Well... I am not sure. Fine.', expect: ['Okay.', 'Well... I am not sure.', 'Fine.'] },
    { name: 'closing quotes stay with their sentence', input: 'Okay. He said "Stop." Then he left.', expect: ['Okay.', 'He said "Stop."', 'Then he left.'] },
    { name: 'brackets', input: 'Okay. It works (mostly.) Then more.', expect: ['Okay.', 'It works (mostly.)', 'Then more.'] },
    { name: 'emoji', input: "Great job 🎉! Let's celebrate 😀😀.", expect: ['Great job 🎉!', "Let's celebrate 😀😀."] },
    { name: 'CJK punctuation without spaces', input: '中文的句子。还有一个句子！好吗？', expect: ['中文的句子。', '还有一个句子！', '好吗？'] },
    { name: 'URL with a trailing period', input: 'Okay. Visit https://example.com/path?q=1. Thanks.', expect: ['Okay.', 'Visit https://example.com/path?q=1.', 'Thanks.'] },
    { name: 'only punctuation has nothing to say', input: '... !!', expect: [] },
    { name: 'whitespace only', input: ' \n\t ', expect: [] },
    { name: 'a trailing stray ellipsis is dropped', input: 'Hello world. ...', expect: ['Hello world.'] },
    { name: 'leading punctuation rides with the words', input: '... so, anyway. Right.', expect: ['... so, anyway.', 'Right.'] },
  ];
  for (const c of cases) {
    t.same(texts(chunkAll(c.input, 'whole', c.opts)), c.expect, c.name);
    // The same chunks when the text arrives one character at a time.
    t.same(texts(chunkAll(c.input, Array(c.input.length).fill(1), c.opts)), c.expect, `${c.name} (streamed)`);
  }
});

t.test('push() returns a phrase as soon as it is complete', async (t) => {
  const c = new PhraseChunker();
  t.same(c.push('Hello there!'), [], 'the "!" is not confirmed until a space follows');
  t.equal(c.nextIndex, 0);
  t.same(c.push(' How'), [{ text: 'Hello there!', index: 0 }]);
  t.same(c.push(' are you? I'), [{ text: 'How are you?', index: 1 }]);
  t.equal(c.bufferedChars, 1);
  t.same(c.flush(), [{ text: 'I', index: 2 }]);
  t.equal(c.nextIndex, 3);
  t.equal(c.bufferedChars, 0);
});

t.test('a push split never splits a token', async (t) => {
  const c = new PhraseChunker();
  t.same(c.push('Okay. The value is 3.'), [{ text: 'Okay.', index: 0 }]);
  t.same(c.push('14 exactly. Next'), [{ text: 'The value is 3.14 exactly.', index: 1 }]);
  const d = new PhraseChunker();
  d.push('Okay. I live in the U.S. ');
  t.same(d.push(''), [], 'waits for the next word to decide on "U.S."');
  t.same(d.push('It'), [{ text: 'I live in the U.S.', index: 1 }]);
  const e = new PhraseChunker();
  e.push('Okay. Say 😀');
  t.same(e.push('\u200d'), []);
  t.same([...e.push('😀 now. '), ...e.flush()].map((x) => x.text), ['Say 😀\u200d😀 now.']);
});

t.test('a 5,000-character sentence without punctuation', async (t) => {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  let input = '';
  for (let i = 0; input.length < 5000; i++) input += `${words[i % words.length]} `;
  input = input.trim();
  for (const splits of ['whole', Array(2000).fill(3)] as const) {
    const chunks = chunkAll(input, splits);
    t.equal(lostText(input, chunks), null);
    t.same(badCuts(input, chunks), [], 'every cut is between words');
    t.same(
      chunks.map((c) => c.index),
      chunks.map((_, i) => i),
    );
    t.ok(chunks.every((c) => estimateTokens(c.text) <= BUDGET));
    t.ok(chunks.length >= 10, `${chunks.length} chunks`);
    t.equal(chunks[0]!.text.split(' ').length, FIRST_WORDS);
    t.ok(estimateTokens(chunks[5]!.text) > BUDGET * 0.8, 'later chunks use most of the budget');
  }
});

t.test('giant words are split by characters as a last resort', async (t) => {
  const cases = {
    digits: '7'.repeat(400),
    letters: 'x'.repeat(5000),
    url: `https://example.com/${'segment/'.repeat(300)}end`,
    emoji: '👩‍👩‍👧‍👦'.repeat(60),
    cjk: '漢'.repeat(500),
    zalgo: `a${'\u0301'.repeat(200)}b`,
    invisible: `${'\u200b'.repeat(3000)}word`,
  };
  for (const [name, word] of Object.entries(cases)) {
    const input = `Okay then. ${word} done.`;
    for (const splits of ['whole', Array(3000).fill(7)] as const) {
      const chunks = chunkAll(input, splits);
      t.equal(lostText(input, chunks), null, `${name}: nothing lost`);
      t.ok(
        chunks.every((c) => estimateTokens(c.text) <= BUDGET),
        `${name}: within budget`,
      );
      t.ok(estimateTokens(chunks[1]!.text) <= 150, `${name}: a giant word's first piece respects the second chunk's limit`);
      t.ok(
        chunks.every((c) => !/[\uD800-\uDBFF]$/.test(c.text) && !/^[\uDC00-\uDFFF]/.test(c.text)),
        `${name}: no surrogate pair split`,
      );
      t.same(
        chunks.map((c) => c.index),
        chunks.map((_, i) => i),
      );
    }
  }
  const url = chunkAll(`Okay then. ${cases.url}`).slice(1);
  t.ok(url.slice(0, -1).every((c) => /[/]$/.test(c.text)), 'a URL splits after its slashes');
  const family = chunkAll(`Okay then. ${cases.emoji}`).slice(1);
  t.ok(family.every((c) => c.text.startsWith('👩') && c.text.endsWith('👦')), 'emoji sequences stay whole');
});

t.test('options', async (t) => {
  t.throws(() => new PhraseChunker({ maxTokens: 0 }), RangeError);
  t.throws(() => new PhraseChunker({ maxTokens: 1.5 }), RangeError);
  t.throws(() => new PhraseChunker({ firstChunkMaxWords: 0 }), RangeError);
  const small = chunkAll('Okay. one two three four five six seven eight nine ten.', 'whole', { maxTokens: 30 });
  t.ok(small.length > 2);
  t.ok(small.every((c) => estimateTokens(c.text) <= 30));
  const words = chunkAll('a b c d e f', 'whole', { firstChunkMaxWords: 2, estimateTokens: () => 1 });
  t.same(texts(words), ['a b', 'c d e f'], 'custom word estimator and first-chunk size');
});

// ---- property tests ----

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'the quick brown fox jumps over a lazy dog while strengths of rhythm psychology queue said hello world I am'.split(' ');
const ODD = ["Dr.", 'Mr.', 'e.g.', 'i.e.', 'etc.', 'U.S.', 'a.m.', 'J.', "don't", "it's", 'NASA', 'www', 'xkcd', 'MMXXIV', 'Ph.D.', 'vs.'];
const EMOJI = ['😀', '🎉', '👍🏽', '👩‍👩‍👧‍👦', '🇬🇸', '🈚', '#️⃣', '❤️'];
const SCRIPTS = ['中文', '日本語のテキスト', '漢字。', 'こんにちは、', 'Привет', 'αβγ', 'مرحبا', 'שלום', 'naïve', 'façade'];
const PUNCT = ['.', ',', '!', '?', ';', ':', '...', '…', '—', '"', "'", '(', ')', '-'];
const LINKS = ['https://example.com/a/b?c=d&e=f', 'user.name+tag@example.co.uk', '10.0.0.1:8080', 'v1.2.3', '555-123-4567', '$1,234.56', '99%', '3.14159'];

function generate(rnd: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const parts: string[] = [];
  const n = 1 + Math.floor(rnd() * 80);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    let piece: string;
    if (r < 0.45) piece = pick(WORDS);
    else if (r < 0.53) piece = pick(ODD);
    else if (r < 0.6) piece = String(Math.floor(rnd() * 10 ** (1 + Math.floor(rnd() * 15))));
    else if (r < 0.66) piece = pick(EMOJI);
    else if (r < 0.73) piece = pick(SCRIPTS);
    else if (r < 0.78) piece = pick(LINKS);
    else if (r < 0.79) piece = (rnd() < 0.5 ? '9' : 'ab').repeat(50 + Math.floor(rnd() * 400));
    else piece = pick(PUNCT);
    if (r >= 0.79 && rnd() < 0.6 && parts.length > 0) parts[parts.length - 1] += piece;
    else parts.push(piece);
  }
  let out = '';
  for (const p of parts) out += p + (rnd() < 0.9 ? ' ' : rnd() < 0.5 ? '\n' : '  ');
  return rnd() < 0.5 ? out.trim() : out;
}

t.test('property: thousands of generated inputs, streamed with random split points', async (t) => {
  const rnd = prng(0x5eed);
  const CASES = 3000;
  let failures = 0;
  const fail = (msg: string, input: string) => {
    if (failures++ < 5) t.fail(msg, { input: input.slice(0, 300) });
  };
  let chunksSeen = 0;
  for (let k = 0; k < CASES; k++) {
    const input = generate(rnd);
    const splits = Array.from({ length: 400 }, () => 1 + Math.floor(rnd() * (rnd() < 0.8 ? 6 : 60)));
    const chunks = chunkAll(input, splits);
    chunksSeen += chunks.length;
    const lost = lostText(input, chunks);
    if (lost !== null) fail(`case ${k}: ${lost}`, input);
    if (!chunks.every((c, i) => c.index === i)) fail(`case ${k}: indices out of order`, input);
    if (!chunks.every((c) => c.text !== '' && c.text === c.text.trim())) fail(`case ${k}: empty or untrimmed chunk`, input);
    const over = chunks.find((c) => estimateTokens(c.text) > BUDGET);
    if (over !== undefined) fail(`case ${k}: chunk ${over.index} over the budget (${estimateTokens(over.text)})`, input);
    const first = chunks[0];
    const firstWords = first?.text.split(/\s+/u).length ?? 0;
    if (first !== undefined && (firstWords > FIRST_WORDS || (estimateTokens(first.text) > FIRST_TOKENS && firstWords > 1))) {
      fail(`case ${k}: first chunk not short: ${first.text}`, input);
    }
    const cuts = badCuts(input, chunks);
    if (cuts.length > 0) fail(`case ${k}: ${cuts[0]}`, input);
    const whole = chunkAll(input, 'whole');
    if (JSON.stringify(texts(whole)) !== JSON.stringify(texts(chunks))) fail(`case ${k}: split points changed the chunks`, input);
  }
  t.equal(failures, 0, `${CASES} inputs, ${chunksSeen} chunks`);
});

t.test('estimator: word sums, and the costs that matter', async (t) => {
  t.equal(estimateTokens('hello big world'), estimateWordTokens('hello') + estimateWordTokens('big') + estimateWordTokens('world') + 2);
  t.equal(estimateTokens(''), 0);
  t.equal(estimateTokens('  \n '), 0);
  t.ok(estimateTokens('1234567') >= 7 * 13, 'digits expand');
  t.ok(estimateTokens('中') >= 15, 'CJK: "Chinese letter"');
  t.ok(estimateTokens('😀') >= 15, 'emoji: "grinning face"');
  t.ok(estimateTokens('www') >= 27, 'spelled "w"');
  t.ok(estimateTokens('$') >= 7 && estimateTokens('%') >= 8, 'symbols read as words');
  t.ok(estimateTokens('hello world') < 20, 'plain words stay cheap');
  t.equal(estimateTokens('\u200b\u200d'), 0, 'invisible characters cost nothing');
  t.notOk(isSpeakable('..."!? ()'));
  t.notOk(isSpeakable('\u200b'));
  t.ok(isSpeakable('…a'));
  t.ok(isSpeakable('%'));
});

t.test('real phonemizer: chunks of hard inputs stay under 510 tokens and under the estimate', async (t) => {
  const { phonemize } = await import('../../workers/kokoro/phonemize.ts');
  const { phonemesToIds } = await import('../../workers/kokoro/tokenizer.ts');
  const hard = [
    `Okay. ${Array.from({ length: 12 }, (_, i) => '7'.repeat(20 + i)).join(' ')} done.`,
    `Prices: ${Array.from({ length: 30 }, (_, i) => `$${(999_999_999 - i * 7).toLocaleString('en-US')}.99`).join(', ')}.`,
    `Okay. ${'🈚🇬🇸👩‍👩‍👧‍👦🔞 '.repeat(40)}`,
    `Okay. ${'日本語のテキスト中文 '.repeat(40)}`,
    `Okay. ${'Привет αβγ مرحبا שלום '.repeat(30)}`,
    `Okay. ${'NASA FBI www xkcd MMXXIV HTTPS '.repeat(30)}`,
    `Visit ${Array.from({ length: 20 }, (_, i) => `https://example${i}.com/path/${i}?q=${i * 37}&x=y`).join(' and ')} now.`,
    `Okay. ${'3.14159265358979 192.168.100.200 555-123-4567 12:45:59 1/2/3/4 99% '.repeat(15)}`,
    `Okay. ${'supercalifragilisticexpialidocious antidisestablishmentarianism '.repeat(20)}`,
    `Okay. ${'x'.repeat(3000)} ${'1'.repeat(600)}`,
    `Okay. ${'Û ß Ⅻ Ŀ © ™ ± ≤ ≠ √ ∞ € £ '.repeat(25)}`,
  ];
  // The biggest chunks of each input, about 60 in all (espeak-ng costs ~45 ms a call).
  const sample = hard
    .flatMap((input) => {
      const own = chunkAll(input).filter((c) => c.index > 0);
      own.sort((a, b) => estimateTokens(b.text) - estimateTokens(a.text));
      return own.slice(0, 6);
    })
    .slice(0, 66);
  t.ok(sample.length >= 55, `${sample.length} chunks checked`);
  let worst = 0;
  for (const chunk of sample) {
    const real = phonemesToIds(await phonemize(chunk.text, 'af_heart')).length;
    const est = estimateTokens(chunk.text);
    worst = Math.max(worst, real);
    if (real > KOKORO_LIMIT) t.fail(`chunk over Kokoro's limit: ${real}`, { text: chunk.text.slice(0, 200) });
    if (est < real) t.fail(`estimate ${est} below the real count ${real}`, { text: chunk.text.slice(0, 200) });
  }
  t.ok(worst <= KOKORO_LIMIT, `largest real chunk: ${worst} tokens`);
});
