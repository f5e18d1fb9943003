/**
 * The chunker and the token estimate in every language: sentence and clause marks of each
 * script (CJK marks need no space after them, Hindi's danda, Spanish openers), and estimates
 * that stay above what the language's own G2P makes of the text.
 */
import t from 'tap';
import { estimateTokens, estimateWordTokensIn } from '../../src/common/token-estimate.ts';
import { PhraseChunker } from '../../src/pipeline/phrase-chunker.ts';
import type { Language } from '../../src/shared/languages.ts';
import { phonemizeIn } from '../../workers/kokoro/phonemize.ts';
import { phonemesToIds } from '../../workers/kokoro/tokenizer.ts';
import { PARAGRAPHS } from '../fixtures/language-texts.ts';

function chunks(text: string, lang: Language): string[] {
  const chunker = new PhraseChunker({ estimateTokens: (w) => estimateWordTokensIn(w, lang) });
  return [...chunker.push(text), ...chunker.flush()].map((c) => c.text);
}

t.test('CJK sentence and clause marks end phrases without a space after them', (t) => {
  const zh = '今天天气很好，我们去公园散步吧。你想一起去吗？当然！';
  const out = chunks(zh, 'zh');
  t.ok(out.length >= 3, `${out.length} chunks: ${out.join(' | ')}`);
  t.equal(out.join(''), zh, 'nothing lost, nothing added');
  for (const c of out.slice(0, -1)) t.match(c, /[，。？！]$/u, `"${c}" ends at a mark`);
  const ja = '今日は良い天気です。公園へ行きましょう！';
  t.same(chunks(ja, 'ja'), ['今日は良い天気です。', '公園へ行きましょう！']);
  t.end();
});

t.test("Hindi's danda ends a sentence", (t) => {
  const hi = 'सूरज पहाड़ों के ऊपर उग रहा था। पक्षी पेड़ों पर गा रहे थे। घाटी बहुत सुंदर थी।';
  const out = chunks(hi, 'hi');
  t.ok(out.length >= 2, out.join(' | '));
  for (const c of out.slice(0, -1)) t.match(c, /।$/u, `"${c}" ends at a danda`);
  t.equal(out.join(' '), hi);
  t.end();
});

t.test('a Spanish question opened with ¿ after a full stop starts a new sentence', (t) => {
  const es = 'Llegamos a casa de María muy tarde. ¿Quieres venir con nosotros mañana por la tarde? ¡Claro que sí, amigo mío!';
  const out = chunks(es, 'es');
  t.ok(out.some((c) => c.startsWith('¿Quieres')), out.join(' | '));
  t.ok(out.some((c) => c.startsWith('¡Claro')), out.join(' | '));
  t.equal(out.join(' '), es);
  t.end();
});

t.test("per-language estimates are far below English espeak's spelled-out CJK, and above the real count", async (t) => {
  t.ok(estimateWordTokensIn('银行', 'zh') < estimateWordTokensIn('银行', 'en-us'), 'Mandarin reads Han characters cheaper than English spells them');
  t.ok(estimateWordTokensIn('नमस्ते', 'hi') < estimateWordTokensIn('नमस्ते', undefined), 'Hindi reads Devanagari cheaper');
  t.equal(estimateWordTokensIn('hello', 'es'), estimateWordTokensIn('hello', undefined), 'Latin letters cost the same in every language');
  for (const lang of ['zh', 'ja', 'hi', 'es', 'fr'] as const) {
    const text = PARAGRAPHS[lang];
    const real = phonemesToIds(await phonemizeIn(text, lang)).length;
    const estimate = estimateTokens(text, lang);
    t.ok(estimate >= real, `${lang}: estimate ${estimate} >= real ${real}`);
    t.ok(estimate <= real * 4, `${lang}: estimate ${estimate} within 4x of real ${real} (chunks are not needlessly tiny)`);
  }
});
