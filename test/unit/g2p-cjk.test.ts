/**
 * The Japanese and Mandarin front ends on word lists with the phonemes upstream's v1.0 front
 * ends give them (kana and pinyin tables of misaki, Kokoro's G2P), and their word spans.
 */
import t, { type Test } from 'tap';
import { integerToHanzi } from '../../workers/g2p/cjk-numbers.ts';
import { kanaToKokoro } from '../../workers/g2p/ja-kana.ts';
import { jaG2p } from '../../workers/g2p/ja.ts';
import { syllableToKokoro } from '../../workers/g2p/zh-pinyin.ts';
import { zhG2p } from '../../workers/g2p/zh.ts';
import { VOCAB } from '../../workers/kokoro/tokenizer.ts';

function allInVocab(t: Test, phonemes: string): void {
  const unknown = [...phonemes].filter((ch) => !VOCAB.has(ch));
  t.same(unknown, [], 'every symbol is in the vocab');
}

t.test('kana -> Kokoro symbols', (t) => {
  const table: Array<[string, string]> = [
    ['トーキョー', 'toːkʲoː'], // long vowels, palatalized yōon
    ['コンニチワ', 'koɲɲiʨiβa'], // ん before a palatal, わ as β
    ['シンブン', 'ɕimbɯɴ'], // ん before b is m; final ん is ɴ
    ['サンカ', 'saŋka'], // ん before k is ŋ
    ['ガッコー', 'ɡaʔkoː'], // っ is a glottal stop
    ['ファイル', 'ɸaiɾɯ'], // ふぁ
    ['ティー', 'tiː'], // てぃ
    ['ジュース', 'ʥɨːsɨ'], // じゅ
    ['ニュース', 'ɲɨːsɨ'],
    ['ウェブ', 'βebɯ'],
    ['ヴァイオリン', 'vaioɾʲiɴ'],
    ['ざじずぜぞ', 'ʣaʥizɨʣeʣo'],
    ['ちゃちゅちょ', 'ʨaʨɨʨo'],
  ];
  for (const [kana, expected] of table) t.equal(kanaToKokoro(kana), expected, kana);
  t.end();
});

t.test('pinyin -> Kokoro symbols', (t) => {
  const table: Array<[string, string]> = [
    ['zhong1', 'ꭧʊ→ŋ'], ['guo2', 'kwo↗'], ['ni3', 'ni↓'], ['hao3', 'xau↓'], ['shi4', 'ʂɨ↘'], ['zi3', 'ʦɨ↓'],
    ['ri4', 'ɻɨ↘'], ['ci2', 'ʦʰɨ↗'], ['lv4', 'ly↘'], ['nü3', 'ny↓'], ['xue2', 'ɕɥe↗'], ['qu4', 'ʨʰy↘'], ['juan3', 'ʨɥɛ↓n'],
    ['jiu3', 'ʨjou↓'], ['dui4', 'twei↘'], ['chun1', 'ꭧʰwə→n'], ['yuan2', 'ɥɛ↗n'], ['yi1', 'i→'], ['wo3', 'wo↓'],
    ['er2', 'ɚ↗'], ['de0', 'tɤ'], ['ma5', 'ma'], ['xiong2', 'ɕjʊ↗ŋ'], ['bo2', 'pwo↗'], ['ng2', 'ŋ↗'],
  ];
  for (const [py, expected] of table) t.equal(syllableToKokoro(py), expected, py);
  t.equal(syllableToKokoro('hello'), undefined, 'not pinyin: nothing');
  t.end();
});

t.test('numbers for CJK front ends', (t) => {
  const table: Array<[string, string]> = [['0', '零'], ['10', '十'], ['15', '十五'], ['105', '一百零五'], ['2024', '二千零二十四'], ['10001', '一万零一'], ['123456789', '一亿二千三百四十五万六千七百八十九']];
  for (const [n, expected] of table) t.equal(integerToHanzi(n), expected, n);
  t.end();
});

t.test('Mandarin sentences: words, tones, marks, numbers', async (t) => {
  const cases: Array<[string, string]> = [
    ['你好，世界！', 'ni↓ xau↓, ʂɨ↘ ʨje↘!'],
    ['我们去银行。', 'wo↓ mən ʨʰy↘ i↗nxa↗ŋ.'], // 银行: háng in this word, not xíng
    ['行人很多。', 'ɕi↗ŋɻə↗n xə↓n two→.'], // 行人: xíng
    ['他很快乐，音乐很好。', 'tʰa→ xə↓n kʰwai↘ lɤ↘, i→nɥe↘ xə↓n xau↓.'], // 乐: lè, then yuè in 音乐
  ];
  for (const [text, expected] of cases) {
    const r = await zhG2p(text);
    t.equal(r.phonemes, expected, text);
    allInVocab(t, r.phonemes);
  }
  const text = '有2024个';
  const r = await zhG2p(text);
  t.match(r.phonemes, /^jou↓ ɚ↘ ʨʰjɛ→n li↗ŋ ɚ↘ ʂɨ↗ sɨ↘ kɤ↘$/u, '2024 is read as 二千零二十四');
  t.same(r.words.map((w) => text.slice(w.charStart, w.charEnd)), ['有', '2024', '个'], 'a number read as several words is one word of the text');
});

t.test('Japanese sentences: readings from the analyser, words, marks, numbers', async (t) => {
  const cases: Array<[string, string]> = [
    ['東京へ行きましょう！', 'toːkʲoː e ikʲimaɕoː!'],
    ['今日は良い天気ですね。', 'kʲoː βa joi teŋkʲidesɨ ne.'], // は as a particle is βa
    ['新聞を読みます', 'ɕimbɯɴ o jomʲimasɨ'],
  ];
  for (const [text, expected] of cases) {
    const r = await jaG2p(text);
    t.equal(r.phonemes, expected, text);
    allInVocab(t, r.phonemes);
  }
  const text = '2024年、学校';
  const r = await jaG2p(text);
  t.ok(r.phonemes.startsWith('ɲi seɴ ɲi ʥɨː joɴ'), `2024 is read as 二千二十四: ${r.phonemes}`);
  t.ok(r.phonemes.endsWith(', ɡaʔkoː'), 'the ideographic comma is a pause mark');
  t.same(r.words.map((w) => text.slice(w.charStart, w.charEnd)).slice(0, 1), ['2024'], 'the number is one word of the text');
});
