/**
 * Arabic numerals -> Chinese numerals (also read by Japanese), so the ja and zh front ends
 * can read "2024" the way the analyser and the pinyin dictionary know: 二千零二十四.
 * Upstream converts the same way before its G2P (cn2an for Mandarin, num2kana for Japanese).
 */

const DIGITS = '零一二三四五六七八九';
const SMALL_UNITS = ['', '十', '百', '千'];
const BIG_UNITS = ['', '万', '亿', '兆'];

/** 0 <= n < 10000, in the four-digit group form ("零" marks skipped places inside). */
function group(n: number, leadingZero: boolean): string {
  let out = '';
  let zero = leadingZero;
  for (let place = 3; place >= 0; place--) {
    const d = Math.floor(n / 10 ** place) % 10;
    if (d === 0) {
      if (out !== '' || leadingZero) zero = true;
      continue;
    }
    if (zero && out !== '') out += '零';
    else if (zero && leadingZero) out += '零';
    zero = false;
    // 十 alone for 10-19 at the start of a number, as it is read: 十二, not 一十二.
    out += d === 1 && place === 1 && out === '' && !leadingZero ? '' : DIGITS[d];
    out += SMALL_UNITS[place];
  }
  return out;
}

/** A non-negative integer (as digits) in Chinese numerals; very long digit strings are read digit by digit. */
export function integerToHanzi(digits: string): string {
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  if (trimmed.length > 16) return [...digits].map((d) => DIGITS[Number(d)]).join('');
  let n = BigInt(trimmed);
  if (n === 0n) return DIGITS[0]!;
  const groups: number[] = [];
  while (n > 0n) {
    groups.push(Number(n % 10000n));
    n /= 10000n;
  }
  let out = '';
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i]!;
    if (g === 0) continue;
    const needsZero = out !== '' && g < 1000;
    out += group(g, needsZero) + BIG_UNITS[i];
  }
  return out;
}

/** Every number in `text` (integers, and decimals as 点 + digits) in Chinese numerals. */
export function numbersToHanzi(text: string): string {
  return text.replace(/\d+(?:\.\d+)?/g, (num) => {
    const [whole, fraction] = num.split('.');
    const head = integerToHanzi(whole!);
    return fraction === undefined ? head : `${head}点${[...fraction].map((d) => DIGITS[Number(d)]).join('')}`;
  });
}

/** Text rewritten for a front end, and for each of its UTF-16 units the span it came from. */
export interface MappedText {
  text: string;
  /** origin[i] = [start, end) in the caller's text of the rewritten text's unit i. */
  origin: Array<readonly [number, number]>;
}

/** `numbersToHanzi` (after `rewrite` of each number), keeping where every unit came from. */
export function numbersToHanziMapped(input: string, rewrite: (hanzi: string) => string = (h) => h): MappedText {
  let text = '';
  const origin: Array<readonly [number, number]> = [];
  let at = 0;
  const copy = (end: number) => {
    for (; at < end; at++) {
      text += input[at];
      origin.push([at, at + 1]);
    }
  };
  for (const m of input.matchAll(/\d+(?:\.\d+)?/g)) {
    copy(m.index);
    const read = rewrite(numbersToHanzi(m[0]));
    const span = [m.index, m.index + m[0].length] as const;
    for (let i = 0; i < read.length; i++) origin.push(span);
    text += read;
    at = span[1];
  }
  copy(input.length);
  return { text, origin };
}

/** The caller's span of the rewritten text's [start, end). */
export function originalSpan(mapped: MappedText, start: number, end: number): [number, number] {
  return [mapped.origin[start]?.[0] ?? start, mapped.origin[end - 1]?.[1] ?? end];
}
