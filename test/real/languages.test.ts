/**
 * Every language, end to end on the worker's own G2P:
 *   - a 3,000-character text in each language is chunked as a turn chunks it (the estimate for
 *     that language), every chunk is phonemized by the worker's G2P: no chunk over the model's
 *     limit, and the chunks hold every character of the text, in order (no model needed);
 *   - with the genuine model: one sentence per language and voice family synthesizes audio that
 *     is not silence and lasts a plausible time for its length (and, when the model gives
 *     durations, its words are timed in order), and the long text's first chunk synthesizes. Without the model those checks say so and count as skipped.
 */
import { existsSync } from 'node:fs';
import { Piscina } from 'piscina';
import t from 'tap';
import { estimateWordTokensIn } from '../../src/common/token-estimate.ts';
import { PhraseChunker } from '../../src/pipeline/phrase-chunker.ts';
import { LANGUAGES, type Language } from '../../src/shared/languages.ts';
import type { SynthResult, WorkerInit } from '../../src/shared/protocol.ts';
import { espeakG2pMany } from '../../workers/g2p/espeak-g2p.ts';
import { isEspeakLanguage } from '../../workers/g2p/espeak-map.ts';
import { phonemizeIn } from '../../workers/kokoro/phonemize.ts';
import { MAX_PHONEME_TOKENS, SAMPLE_RATE, phonemesToIds } from '../../workers/kokoro/tokenizer.ts';
import { FAMILIES, SECONDS_PER_CHAR, firstSentence, longText } from '../fixtures/language-texts.ts';

const MODEL = new URL('../../../shared/models/kokoro-82m-v1.0-int8.onnx', import.meta.url).pathname;
const WORKER = new URL('../../workers/synth.worker.ts', import.meta.url).pathname;
const hasModel = existsSync(MODEL);

function chunksOf(text: string, lang: Language): string[] {
  const chunker = new PhraseChunker({ estimateTokens: (word) => estimateWordTokensIn(word, lang) });
  return [...chunker.push(text), ...chunker.flush()].map((c) => c.text);
}

const withoutSpace = (s: string) => s.replace(/\s+/gu, '');
const firstChunks = new Map<Language, string>();

for (const lang of LANGUAGES) {
  t.test(`${lang}: a 3,000-character text is chunked under the token limit without losing a character`, async (t) => {
    const text = longText(lang);
    t.ok(text.length >= 3000, `${text.length} characters`);
    const chunks = chunksOf(text, lang);
    t.equal(withoutSpace(chunks.join('')), withoutSpace(text), 'the chunks hold every character, in order');
    let most = 0;
    // The espeak-ng languages in one run for all chunks (the same G2P the worker runs per chunk).
    const phonemes = isEspeakLanguage(lang) ? (await espeakG2pMany(chunks, lang)).map((r) => r.phonemes) : await Promise.all(chunks.map((c) => phonemizeIn(c, lang)));
    for (const [i, chunk] of chunks.entries()) {
      const tokens = phonemesToIds(phonemes[i]!).length;
      most = Math.max(most, tokens);
      if (tokens > MAX_PHONEME_TOKENS) t.fail(`chunk ${i} needs ${tokens} tokens (limit ${MAX_PHONEME_TOKENS}): ${chunk}`);
      if (tokens === 0) t.fail(`chunk ${i} has nothing to speak: ${chunk}`);
    }
    t.pass(`${chunks.length} chunks, the longest ${most} tokens`);
    firstChunks.set(lang, chunks[0]!);
  });
}

t.test('with the genuine model: every language and voice family speaks', { skip: hasModel ? false : `no genuine Kokoro model at ${MODEL}: audio NOT checked` }, async (t) => {
  const init: WorkerInit = { modelPath: MODEL, intraOpThreads: 1, enableCpuMemArena: false, faultInjection: false };
  const piscina = new Piscina({ filename: WORKER, minThreads: 1, maxThreads: 1, workerData: init });
  t.teardown(() => piscina.destroy());
  let taskId = 0;
  const run = async (text: string, voice: string, lang?: Language) => {
    // Words asked for, as a client asking for timestamps does.
    const r = (await piscina.run({ taskId: ++taskId, text, voice, speed: 1, words: true, ...(lang !== undefined ? { lang } : {}) })) as SynthResult;
    if (!r.ok) throw new Error(`${voice} ${lang ?? ''}: ${r.code} ${r.message}`);
    return r;
  };
  for (const lang of LANGUAGES) {
    const sentence = firstSentence(lang);
    const [low, high] = SECONDS_PER_CHAR[lang];
    for (const voice of FAMILIES[lang]) {
      // The voice alone decides the language: no lang sent.
      const r = await run(sentence, voice);
      let energy = 0;
      for (const s of r.pcm) energy += s * s;
      t.ok(Math.sqrt(energy / r.pcm.length) > 0.01, `${lang} ${voice}: not silence`);
      const speech = (r.samples - r.silence.lead - r.silence.trail) / SAMPLE_RATE;
      const perChar = speech / [...sentence].length;
      t.ok(perChar >= low && perChar <= high, `${lang} ${voice}: ${speech.toFixed(2)} s for ${[...sentence].length} characters (${perChar.toFixed(3)} s/char, expected ${low}-${high})`);
      if (r.words !== undefined) {
        // Word timing (when the model gives durations): the front end's word spans, timed in order.
        t.ok(r.words.length > 0, `${lang} ${voice}: ${r.words.length} words timed`);
        const inOrder = r.words.every((w, i) => w.word === sentence.slice(w.charStart, w.charEnd) && w.startMs <= w.endMs && (i === 0 || w.startMs >= r.words![i - 1]!.startMs));
        t.ok(inOrder, `${lang} ${voice}: each timed word is its text's span, in spoken order`);
      }
    }
    // The long text's first chunk, read in the language the request names, by a mix across languages.
    const chunk = firstChunks.get(lang) ?? sentence;
    const mix = `${FAMILIES[lang][0]}+${lang === 'en-us' ? 'bf_emma' : 'af_heart'}`;
    const r = await run(chunk, mix, lang);
    t.ok(r.tokens <= MAX_PHONEME_TOKENS && r.samples > 0, `${lang}: the first chunk (${r.tokens} tokens) synthesizes with ${mix}`);
  }
});
