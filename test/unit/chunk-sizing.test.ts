/**
 * Chunk sizes from the measured cost curve: the cost model's fit (src/synth/cost-model.ts),
 * the sizer's budgets (src/pipeline/chunk-sizer.ts) and the chunker that obeys them.
 */
import t from 'tap';
import { ChunkSizer, type ChunkSizerOptions } from '../../src/pipeline/chunk-sizer.ts';
import { PhraseChunker } from '../../src/pipeline/phrase-chunker.ts';
import { estimateTokens } from '../../src/common/token-estimate.ts';
import { CostModel, type CostCurve } from '../../src/synth/cost-model.ts';

const RATE = 24_000;

/** A sentence of `words` words of five letters ("alpha bravo ..."). */
function words(n: number): string {
  const pool = ['alpha', 'bravo', 'delta', 'gamma', 'kappa', 'lemon', 'mango', 'olive'];
  return Array.from({ length: n }, (_, i) => pool[i % pool.length]).join(' ');
}

/** What a machine with `a` ms per chunk, `b` ms per token and `c` ms of speech per token reports for `text`. */
function observation(text: string, a: number, b: number, c: number, silentMs = 800) {
  const tokens = estimateTokens(text);
  const speechSamples = Math.round((c * tokens * RATE) / 1000);
  const silentSamples = Math.round((silentMs * RATE) / 1000);
  return { text, computeMs: a + b * tokens, samples: speechSamples + silentSamples, silentSamples, sampleRate: RATE };
}

t.test('the cost model', async (t) => {
  t.test('knows nothing before two observations', async (t) => {
    const m = new CostModel();
    t.equal(m.curve(), null);
    m.observe(observation(words(3), 300, 10, 70));
    t.equal(m.curve(), null, 'one point says nothing of the slope');
  });

  t.test('recovers intercept, slope and speech per token from exact observations', async (t) => {
    const m = new CostModel();
    for (const n of [2, 6, 12, 20, 30]) m.observe(observation(words(n), 300, 10, 70));
    const curve = m.curve()!;
    t.ok(Math.abs(curve.computeMs(0) - 300) < 1e-6, `intercept ${curve.computeMs(0)}`);
    t.ok(Math.abs(curve.computeMs(100) - 1300) < 1e-6, `cost of 100 tokens ${curve.computeMs(100)}`);
    // Samples are rounded to whole samples: within one sample per observation.
    t.ok(Math.abs(curve.speechMs(100) - 7000) < 1, `speech of 100 tokens ${curve.speechMs(100)}`);
  });

  t.test('follows a machine that got slower (recent observations weigh more)', async (t) => {
    const m = new CostModel(8);
    for (let i = 0; i < 50; i++) m.observe(observation(words(4 + (i % 20)), 100, 5, 70));
    const before = m.curve()!.computeMs(80);
    for (let i = 0; i < 50; i++) m.observe(observation(words(4 + (i % 20)), 200, 10, 70));
    const after = m.curve()!.computeMs(80);
    t.ok(Math.abs(before - 500) < 1, `before ${before}`);
    t.ok(Math.abs(after - 1000) < 20, `after ${after} (the old machine's weight is 2^-6)`);
  });

  t.test('records speech as at speed 1', async (t) => {
    const m = new CostModel();
    for (const n of [4, 16]) m.observe({ ...observation(words(n), 300, 10, 35), speed: 2 });
    const curve = m.curve()!;
    t.ok(Math.abs(curve.speechMs(100) - 7000) < 1, `speech of 100 tokens at speed 1: ${curve.speechMs(100)}`);
  });

  t.test('never yields a falling or negative cost, whatever the noise', async (t) => {
    const m = new CostModel();
    // Longer chunks measured faster (a busy spell during the short one).
    m.observe(observation(words(2), 2000, 0, 70));
    m.observe(observation(words(30), 500, 0, 70));
    const curve = m.curve()!;
    t.ok(curve.computeMs(0) >= 0, 'intercept not negative');
    t.ok(curve.computeMs(200) > curve.computeMs(10), 'cost grows with length');
  });

  t.test('ignores observations it cannot use', async (t) => {
    const m = new CostModel();
    m.observe({ text: '   ', computeMs: 100, samples: 1000, silentSamples: 0, sampleRate: RATE });
    m.observe({ text: 'hello', computeMs: Number.NaN, samples: 1000, silentSamples: 0, sampleRate: RATE });
    m.observe({ text: 'hello', computeMs: 100, samples: 1000, silentSamples: 0, sampleRate: 0 });
    t.equal(m.observations, 0);
  });

  t.throws(() => new CostModel(0), RangeError);
});

/** A linear curve: `a` + `b` per token of compute, `c` ms of speech per token. */
const linear = (a: number, b: number, c: number): CostCurve => ({ fixedMs: a, msPerToken: b, speechMsPerToken: c, computeMs: (n) => a + b * n, speechMs: (n) => c * n });

function sizer(curve: CostCurve, over: Partial<ChunkSizerOptions> = {}): ChunkSizer {
  return new ChunkSizer({ curve, workers: 1, firstComputeMs: 400, minTokens: 12, maxTokens: 300, safety: 1, gapMs: 0, speed: 1, ...over });
}

t.test('the sizer', async (t) => {
  t.test('the first chunk is the longest that computes within its budget', async (t) => {
    const s = sizer(linear(200, 10, 70));
    t.equal(s.limit(), 20, '200 + 10 x 20 = 400 ms');
  });

  t.test('each next chunk is ready before the audio scheduled before it ends (one worker)', async (t) => {
    const curve = linear(200, 10, 70);
    const s = sizer(curve);
    let ready = 0;
    let playEnd = 0;
    const sizes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const n = s.limit()!;
      sizes.push(n);
      ready += curve.computeMs(n);
      if (i > 0) t.ok(ready <= playEnd + 1e-9, `chunk ${i} (${n} tokens) ready at ${ready} ms, audio before it ends at ${playEnd} ms`);
      playEnd = Math.max(ready, playEnd) + curve.speechMs(n);
      s.commit(n);
    }
    t.ok(sizes.every((n, i) => i === 0 || n >= sizes[i - 1]!), `sizes grow: ${sizes.join(', ')}`);
    t.equal(sizes.at(-1), 300, 'up to the budget');
  });

  t.test('the safety factor and a slower machine both give smaller chunks', async (t) => {
    const second = (s: ChunkSizer) => {
      s.commit(s.limit()!);
      return s.limit()!;
    };
    const base = second(sizer(linear(200, 10, 70)));
    t.ok(second(sizer(linear(200, 10, 70), { safety: 0.5 })) < base, 'safety 0.5');
    t.ok(second(sizer(linear(200, 20, 70))) < base, 'twice the cost per token');
    t.ok(second(sizer(linear(200, 10, 70), { speed: 2 })) < base, 'speech played twice as fast');
    t.ok(second(sizer(linear(200, 10, 70), { workers: 2 })) > base, 'a second worker starts it sooner');
  });

  t.test('when nothing fits: the smallest first chunk, then no bound (the fixed schedule)', async (t) => {
    const s = sizer(linear(5000, 10, 70));
    t.equal(s.limit(), 12, 'first: the listener waits for all of it');
    s.commit(12);
    t.equal(s.limit(), null, 'second: an underrun is coming anyway; long chunks cost least per second of speech');
  });

  t.test('a later chunk is never below the break-even length, where one worker keeps up', async (t) => {
    // 600 ms fixed, 20 ms/token of compute, 30 ms/token of speech: break-even 600 / (30 - 20) = 60 tokens.
    const s = sizer(linear(600, 20, 30), { workers: 2, minTokens: 12 });
    const seen: Array<number | null> = [];
    for (let i = 0; i < 6; i++) {
      const n = s.limit();
      seen.push(n);
      s.commit(n ?? 150);
    }
    t.equal(seen[0], 12, 'the first is the shortest (400 ms cannot fit even that)');
    t.ok(seen.slice(1).every((n) => n === null || n >= 60), `later ones are null or >= 60: ${seen.join(', ')}`);
    t.equal(sizer(linear(600, 40, 30)).limit(), 12, 'slower than real time: the first still short');
    const slow = sizer(linear(100, 40, 30), { firstComputeMs: 1000 });
    slow.commit(slow.limit()!);
    t.equal(slow.limit(), null, 'slower than real time: no later bound');
  });

  t.test('never past the bounds', async (t) => {
    const s = sizer(linear(0, 0.001, 70), { maxTokens: 50 });
    t.equal(s.limit(), 50);
  });

  t.test('bad options are refused', async (t) => {
    const c = linear(1, 1, 1);
    t.throws(() => sizer(c, { workers: 0 }), RangeError);
    t.throws(() => sizer(c, { minTokens: 0 }), RangeError);
    t.throws(() => sizer(c, { minTokens: 40, maxTokens: 20 }), RangeError);
    t.throws(() => sizer(c, { safety: 0 }), RangeError);
    t.throws(() => sizer(c, { safety: 1.5 }), RangeError);
    t.throws(() => sizer(c, { speed: 0 }), RangeError);
  });
});

t.test('the chunker with a sizer', async (t) => {
  const long = `${words(40)}. ${words(40)}. ${words(40)}. ${words(40)}.`;

  t.test('cuts every chunk within the bound the sizer gave at its turn, and loses no word', async (t) => {
    const inner = sizer(linear(200, 10, 70));
    const bounds: number[] = [];
    const spy = {
      limit: () => inner.limit(),
      commit: (n: number) => {
        bounds.push(inner.limit() ?? 300);
        inner.commit(n);
      },
    } as unknown as ChunkSizer;
    const chunker = new PhraseChunker({ sizer: spy });
    const chunks = [...chunker.push(long), ...chunker.flush()];
    t.equal(chunks.length, bounds.length, 'the sizer hears of every chunk');
    chunks.forEach((c, i) => t.ok(estimateTokens(c.text) <= bounds[i]!, `chunk ${i}: ${estimateTokens(c.text)} <= ${bounds[i]} tokens`));
    t.equal(chunks.map((c) => c.text).join(' ').replace(/\s+/g, ' '), long, 'every word, in order');
    t.ok(estimateTokens(chunks[0]!.text) <= 20, 'the first chunk fits its 400 ms');
  });

  t.test('a slow machine gets a short first chunk; the fixed schedule does not', async (t) => {
    const sized = new PhraseChunker({ sizer: sizer(linear(200, 10, 70)) });
    const fixed = new PhraseChunker();
    const first = (c: PhraseChunker) => [...c.push(long), ...c.flush()][0]!.text.split(' ').length;
    t.ok(first(sized) < first(fixed), `${first(new PhraseChunker({ sizer: sizer(linear(200, 10, 70)) }))} words vs 8`);
  });

  t.test('an overloaded machine: a short first chunk, then the fixed schedule', async (t) => {
    const c = new PhraseChunker({ sizer: sizer(linear(5000, 10, 70)) });
    const f = new PhraseChunker();
    const sized = [...c.push(long), ...c.flush()].map((p) => p.text);
    const fixed = [...f.push(long), ...f.flush()].map((p) => p.text);
    t.ok(sized[0]!.length < fixed[0]!.length, 'first chunk shorter');
    t.ok(sized.length <= fixed.length + 1, `no shower of small chunks: ${sized.length} vs ${fixed.length}`);
  });

  t.test('a fast machine keeps the word cap of the first chunk', async (t) => {
    const c = new PhraseChunker({ sizer: sizer(linear(0, 0.01, 70)) });
    t.equal([...c.push(long), ...c.flush()][0]!.text.split(' ').length, 8);
  });
});
