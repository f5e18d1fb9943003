/**
 * Japanese kana -> Kokoro's Japanese symbols, mora by mora, as upstream's v1.0 front end
 * reads them (misaki's cutlet tables: Hepburn-like IPA, no pitch accent marks):
 *   palatalized i-column (kʲi ɕi ʨi ɲi çi …) and its yōon (kʲa ɕɨ ʨo …),
 *   っ as ʔ, ー as ː, ん assimilated to the next mora (m ŋ ɲ n, ɴ otherwise).
 * Pure; katakana is read as the hiragana it corresponds to.
 */

const ROWS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['あいうえお', ['a', 'i', 'ɯ', 'e', 'o']],
  ['ぁぃぅぇぉ', ['a', 'i', 'ɯ', 'e', 'o']],
  ['かきくけこ', ['ka', 'kʲi', 'kɯ', 'ke', 'ko']],
  ['がぎぐげご', ['ɡa', 'ɡʲi', 'ɡɯ', 'ɡe', 'ɡo']],
  ['さしすせそ', ['sa', 'ɕi', 'sɨ', 'se', 'so']],
  ['ざじずぜぞ', ['ʣa', 'ʥi', 'zɨ', 'ʣe', 'ʣo']],
  ['たちつてと', ['ta', 'ʨi', 'ʦɨ', 'te', 'to']],
  ['だぢづでど', ['da', 'ʥi', 'zɨ', 'de', 'do']],
  ['なにぬねの', ['na', 'ɲi', 'nɯ', 'ne', 'no']],
  ['はひふへほ', ['ha', 'çi', 'ɸɯ', 'he', 'ho']],
  ['ばびぶべぼ', ['ba', 'bʲi', 'bɯ', 'be', 'bo']],
  ['ぱぴぷぺぽ', ['pa', 'pʲi', 'pɯ', 'pe', 'po']],
  ['まみむめも', ['ma', 'mʲi', 'mɯ', 'me', 'mo']],
  ['らりるれろ', ['ɾa', 'ɾʲi', 'ɾɯ', 'ɾe', 'ɾo']],
  ['やゆよ', ['ja', 'jɯ', 'jo']],
  ['ゃゅょ', ['ja', 'jɯ', 'jo']],
  ['わゐゑを', ['βa', 'i', 'e', 'o']],
  ['ゎゔゕゖ', ['βa', 'vɯ', 'ka', 'ke']],
];

const MORA = new Map<string, string>();
for (const [kana, sounds] of ROWS) [...kana].forEach((k, i) => MORA.set(k, sounds[i]!));

/** Small kana that merge with the mora before them (yōon, and the extended ふぁ てぃ うぇ …). */
const SMALL_VOWEL: Readonly<Record<string, string>> = { ぁ: 'a', ぃ: 'i', ぅ: 'ɯ', ぇ: 'e', ぉ: 'o', ゃ: 'a', ゅ: 'ɨ', ょ: 'o' };

/** Katakana (ァ-ヶ) -> hiragana; other characters unchanged. */
export function toHiragana(text: string): string {
  return text.replace(/[\u30a1-\u30f6]/g, (k) => String.fromCharCode(k.charCodeAt(0) - 0x60));
}

/** The mora at `kana[i]` merged with a following small kana, and how many characters it took. */
function moraAt(kana: string, i: number): [string, number] | undefined {
  const k = kana[i]!;
  const base = MORA.get(k);
  if (base === undefined) return undefined;
  const small = SMALL_VOWEL[kana[i + 1] ?? ''];
  if (small === undefined || k in SMALL_VOWEL) return [base, 1];
  if (k === 'う') return [`β${small === 'ɨ' ? 'ɯ' : small}`, 2];
  if (k === 'い') return [`j${small}`, 2];
  // Drop the mora's own vowel; a yōon's ゅ is ɨ after a palatal, ɯ elsewhere.
  const onset = base.slice(0, -1);
  const vowel = small === 'ɨ' && !/[ʲɕʨʥɲç]$/u.test(onset) ? 'ʲɯ' : small;
  return [onset + vowel, 2];
}

/** ん before the next mora: m before m p b, ŋ before k ɡ, ɲ before ɲ ʨ ʥ, n before n t d ɾ z; ɴ otherwise. */
function syllabicN(next: string | undefined): string {
  if (next === undefined) return 'ɴ';
  if (/^[mpb]/u.test(next)) return 'm';
  if (/^[kɡ]/u.test(next)) return 'ŋ';
  if (/^[ɲʨʥ]/u.test(next)) return 'ɲ';
  if (/^[ntdɾz]/u.test(next)) return 'n';
  return 'ɴ';
}

/** A word's reading (kana) in Kokoro's symbols; characters that are not kana are skipped. */
export function kanaToKokoro(reading: string): string {
  const kana = toHiragana(reading);
  const moras: string[] = [];
  for (let i = 0; i < kana.length; ) {
    const k = kana[i]!;
    if (k === 'っ') moras.push('ʔ'), i++;
    else if (k === 'ー') moras.push('ː'), i++;
    else if (k === 'ん') moras.push('ん'), i++;
    else {
      const m = moraAt(kana, i);
      if (m !== undefined) moras.push(m[0]);
      i += m?.[1] ?? 1;
    }
  }
  return moras.map((m, i) => (m === 'ん' ? syllabicN(moras[i + 1]) : m)).join('');
}
