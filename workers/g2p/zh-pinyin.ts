/**
 * One pinyin syllable with its tone number ("zhong1", "lv4", "ma0") -> Kokoro's Mandarin
 * symbols, as upstream's v1.0 front end writes them (misaki's pinyin-to-IPA table, first
 * variant): initial, then the final with the tone arrow after its nucleus.
 *   tones 1-4: → ↗ ↓ ↘; neutral (0 or 5): no mark
 *   zhi chi shi ri zi ci si: the apical vowel is ɨ; zh/ch are ꭧ/ꭧʰ (Kokoro's retroflex affricate)
 */

const TONE: Readonly<Record<string, string>> = { '1': '→', '2': '↗', '3': '↓', '4': '↘', '5': '', '0': '' };

const INITIALS: ReadonlyArray<readonly [string, string]> = [
  ['zh', 'ꭧ'], ['ch', 'ꭧʰ'], ['sh', 'ʂ'],
  ['b', 'p'], ['p', 'pʰ'], ['m', 'm'], ['f', 'f'], ['d', 't'], ['t', 'tʰ'], ['n', 'n'], ['l', 'l'],
  ['g', 'k'], ['k', 'kʰ'], ['h', 'x'], ['j', 'ʨ'], ['q', 'ʨʰ'], ['x', 'ɕ'], ['r', 'ɻ'],
  ['z', 'ʦ'], ['c', 'ʦʰ'], ['s', 's'],
];

/** Finals: `0` marks where the tone goes (after the nucleus). `v` is ü. */
const FINALS: Readonly<Record<string, string>> = {
  a: 'a0', ai: 'ai0', an: 'a0n', ang: 'a0ŋ', ao: 'au0', e: 'ɤ0', ei: 'ei0', en: 'ə0n', eng: 'ə0ŋ',
  i: 'i0', ia: 'ja0', ian: 'jɛ0n', iang: 'ja0ŋ', iao: 'jau0', ie: 'je0', in: 'i0n', iou: 'jou0', iu: 'jou0',
  ing: 'i0ŋ', iong: 'jʊ0ŋ', ong: 'ʊ0ŋ', ou: 'ou0', u: 'u0', uei: 'wei0', ui: 'wei0', ua: 'wa0', uai: 'wai0',
  uan: 'wa0n', uen: 'wə0n', un: 'wə0n', uang: 'wa0ŋ', ueng: 'wə0ŋ', uo: 'wo0', o: 'wo0',
  v: 'y0', ve: 'ɥe0', van: 'ɥɛ0n', vn: 'y0n',
};

/** Syllables without an initial, spelled with y- or w- (and the interjections). */
const WHOLE: Readonly<Record<string, string>> = {
  yi: 'i0', ya: 'ja0', yan: 'jɛ0n', yang: 'ja0ŋ', yao: 'jau0', ye: 'je0', yin: 'i0n', ying: 'i0ŋ', yong: 'jʊ0ŋ',
  you: 'jou0', yo: 'jɔ0', yu: 'y0', yv: 'y0', yue: 'ɥe0', yve: 'ɥe0', yuan: 'ɥɛ0n', yvan: 'ɥɛ0n', yun: 'y0n', yvn: 'y0n',
  wu: 'u0', wa: 'wa0', wai: 'wai0', wan: 'wa0n', wang: 'wa0ŋ', wei: 'wei0', wen: 'wə0n', weng: 'wə0ŋ', wo: 'wo0',
  er: 'ɚ0', ê: 'ɛ0', o: 'ɔ0', io: 'jɔ0', m: 'm0', n: 'n0', ng: 'ŋ0', hm: 'hm0', hng: 'hŋ0',
};

/** Kokoro symbols for one syllable; undefined when it is not pinyin (the caller skips it). */
export function syllableToKokoro(syllable: string): string | undefined {
  const m = /^([a-zêü]+)([0-5])?$/.exec(syllable.toLowerCase().replaceAll('ü', 'v'));
  if (m === null) return undefined;
  const body = m[1]!;
  const tone = TONE[m[2] ?? '5']!;
  const whole = WHOLE[body];
  if (whole !== undefined) return whole.replace('0', tone);
  const initial = INITIALS.find(([spelled]) => body.startsWith(spelled));
  if (initial === undefined) return undefined;
  let final = body.slice(initial[0].length);
  // After j, q, x the written u is ü.
  if ('jqx'.includes(initial[0]) && final.startsWith('u')) final = `v${final.slice(1)}`;
  let ipa: string | undefined;
  if (final === 'i' && ['zh', 'ch', 'sh', 'r', 'z', 'c', 's'].includes(initial[0])) ipa = 'ɨ0';
  else ipa = FINALS[final];
  if (ipa === undefined) return undefined;
  return initial[1] + ipa.replace('0', tone);
}
