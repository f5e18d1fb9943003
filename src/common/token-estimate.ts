/**
 * A pessimistic count of the Kokoro phoneme tokens a text will need, computed from the
 * text alone. The main thread must never run espeak-ng (about 45 ms a sentence on the
 * event loop), yet the chunker must keep every chunk under the model's 510-token limit,
 * so this estimate errs high on purpose: the chunker's budget (300 by default) plus this
 * margin keeps real counts well under 510, and the worker refuses the rare miss
 * (`text_too_long`) rather than truncating.
 *
 * The costs below were measured against kokoro-js's normaliser and espeak-ng (en-us):
 *
 *   ordinary words      ~1.2 tokens a letter, plus a stress mark     "hello" -> həlˈoʊ
 *   spelled words       3-5 a letter, 10 for "w"                     "xkcd", "FBI", "www"
 *   numbers             up to ~13 a digit                            "7777777" -> 87 tokens
 *   symbols             their spoken name                            "%" -> pɚsˈɛnt, "≤" -> 19
 *   emoji               their CLDR name, up to ~35                   "🈚" -> "Japanese free of charge button"
 *   CJK and kana        "Chinese letter", "Japanese letter": ~15
 *   other scripts       spelled, or "letter 1d400" (up to ~35)       Thai, Ethiopic, math alphanumerics
 *
 * The estimate is a sum over whitespace-separated words plus one token per gap, so the
 * estimate of a prefix that ends at a gap is the running sum: the chunker relies on that.
 */

import type { Language } from '../shared/languages.ts';

/** Kokoro's pause punctuation, which passes through as one token each (kokoro-js keeps it verbatim). */
const PAUSE_PUNCT = new Set([...';:,.!?¡¿—…"«»“”(){}[]']);
/** Marks that live inside words and cost at most one token. */
const WORD_MARKS = new Set([...`'’‘-–‐‑`]);
/** ASCII symbols espeak-ng reads aloud, with a pessimistic cost (name + spacing). */
const SYMBOL_COST: ReadonlyMap<string, number> = new Map([
  ['$', 10], ['£', 9], ['€', 11], ['¥', 7], ['%', 11], ['&', 7], ['@', 5], ['#', 7], ['*', 12], ['+', 8],
  ['=', 10], ['/', 8], ['\\', 12], ['~', 9], ['^', 4], ['_', 4], ['|', 4], ['<', 4], ['>', 4], ['`', 2],
]);

/** Symbols espeak-ng drops without a sound (measured); alone they make an empty chunk. */
const SILENT = new Set([...'^_|<>`•†‰']);

const SPELLED_LETTER = 6;
const SPELLED_W = 11;
const WORD_LETTER = 1.4;
const WORD_ACCENTED_LETTER = 2.5;
const WORD_OVERHEAD = 2;
const DIGIT = 16;
const DIGIT_SEPARATOR = 6;
const CJK = 16;
const CYRILLIC_GREEK = 8;
const ARABIC_HEBREW = 16;
const EMOJI = 40;
const EMOJI_IN_SEQUENCE = 15;
const REGIONAL_INDICATOR = 25;
const SKIN_TONE = 8;
const KEYCAP = 12;
const OTHER_SYMBOL = 22;
/** Unknown scripts are read as "letter" plus the code point in hex: the worst case measured. */
const UNKNOWN = 40;

/** Letters espeak-ng reads inside English words: ASCII and lower-case Latin-1 accents. */
const RE_WORD_LETTER = /[A-Za-zà-öø-ÿ]/u;
const RE_VOWEL = /[aeiouyà-æè-ïò-öø-üýÿ]/i;
/** Upper-case accented letters are spelled ("U circumflex"), ß is "sharp s". */
const RE_SPELLED_ACCENT = /[À-ÖØ-Þß]/u;
const SPELLED_ACCENT = 18;
/** Latin letters outside Latin-1 (Ŀ, Ɓ, Ⅻ…) are read by name or as "letter" plus a code. */
const RE_OTHER_LATIN = /\p{Script=Latin}/u;
const OTHER_LATIN = 25;
const RE_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\u30fc]/u;
const RE_CYRILLIC_GREEK = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
const RE_ARABIC_HEBREW = /[\p{Script=Arabic}\p{Script=Hebrew}]/u;
const RE_PICTOGRAPH = /\p{Extended_Pictographic}/u;
/** Invisible characters, and a lone surrogate: half of a character whose other half has not arrived. */
const RE_ZERO_COST = /[\p{Cc}\p{Cf}\u{FE00}-\u{FE0F}\u{E0020}-\u{E007F}\u{D800}-\u{DFFF}]/u;
const RE_WHITESPACE = /\s/u;
const RE_SYMBOL_OR_PUNCT = /[\p{S}\p{P}]/u;

function isAsciiDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

/** One run of Latin letters: read as a word, or spelled when it cannot be read. */
function latinRunCost(run: string): number {
  const letters = [...run];
  // Single letters, words without vowels and all-capital words (acronyms, roman numerals)
  // are often spelled; assuming so costs a little budget on "NASA" or "IMPORTANT".
  const spelled = letters.length === 1 || !RE_VOWEL.test(run) || (letters.length > 1 && run === run.toUpperCase());
  if (!spelled) {
    let weight = 0;
    for (const ch of letters) weight += ch.charCodeAt(0) < 0x80 ? WORD_LETTER : WORD_ACCENTED_LETTER;
    return Math.ceil(weight) + WORD_OVERHEAD;
  }
  let cost = 0;
  for (const ch of letters) {
    if (ch === 'w' || ch === 'W') cost += SPELLED_W;
    else cost += ch.charCodeAt(0) < 0x80 ? SPELLED_LETTER : SPELLED_ACCENT;
  }
  return cost;
}

function charCost(ch: string): number {
  if (PAUSE_PUNCT.has(ch) || WORD_MARKS.has(ch)) return 1;
  const symbol = SYMBOL_COST.get(ch);
  if (symbol !== undefined) return symbol;
  if (RE_ZERO_COST.test(ch)) return 0;
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x1f1e6 && cp <= 0x1f1ff) return REGIONAL_INDICATOR;
  if (cp >= 0x1f3fb && cp <= 0x1f3ff) return SKIN_TONE;
  if (cp === 0x20e3) return KEYCAP;
  if (RE_CJK.test(ch)) return CJK;
  if (RE_CYRILLIC_GREEK.test(ch)) return CYRILLIC_GREEK;
  if (RE_ARABIC_HEBREW.test(ch)) return ARABIC_HEBREW;
  if (RE_PICTOGRAPH.test(ch)) return EMOJI;
  if (RE_SYMBOL_OR_PUNCT.test(ch)) return OTHER_SYMBOL;
  return UNKNOWN;
}

/**
 * Estimated tokens of one word (a string without whitespace).
 * @example estimateWordTokens('1234') // 56: four digits, read as "twelve thirty-four" or worse
 */
export function estimateWordTokens(word: string): number {
  const chars = [...word];
  let cost = 0;
  let latin = '';
  const endLatin = () => {
    if (latin !== '') cost += latinRunCost(latin);
    latin = '';
  };
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    // Parts of a ZWJ emoji sequence are read as short words ("woman girl boy").
    if (chars[i - 1] === '\u200d' && RE_PICTOGRAPH.test(ch)) {
      endLatin();
      cost += EMOJI_IN_SEQUENCE;
      continue;
    }
    if (isAsciiDigit(ch)) {
      endLatin();
      cost += DIGIT;
      continue;
    }
    // "1,234.5" or "12:30": a separator between digits is read ("point") or dropped.
    if ((ch === '.' || ch === ',' || ch === ':') && isAsciiDigit(chars[i - 1] ?? '') && isAsciiDigit(chars[i + 1] ?? '')) {
      cost += DIGIT_SEPARATOR;
      continue;
    }
    if (RE_WORD_LETTER.test(ch)) {
      latin += ch;
      continue;
    }
    endLatin();
    if (RE_SPELLED_ACCENT.test(ch)) cost += SPELLED_ACCENT;
    else if (RE_OTHER_LATIN.test(ch)) cost += OTHER_LATIN;
    else cost += charCost(ch);
  }
  endLatin();
  return cost;
}

/**
 * Per-language costs where a language's own G2P reads a script far more cheaply than English
 * espeak-ng does (which spells it out as "Chinese letter …"), measured on workers/g2p:
 *
 *   zh  a Han character is one syllable: at most 6 symbols and a space      "窗" -> ꭧʰwa→ŋ
 *   ja  a kanji reads as 1-4 morae of up to 3 symbols; a kana is one mora    "承" -> ɕoː
 *   hi  a Devanagari letter or sign is one or two symbols (stress marks on top)
 *
 * Other languages read Latin letters as English does (es fr it pt-br use WORD_LETTER).
 */
const LANGUAGE_COSTS: Readonly<Partial<Record<Language, (ch: string) => number | undefined>>> = {
  zh: (ch) => (RE_HAN.test(ch) ? 7 : undefined),
  ja: (ch) => (RE_HAN.test(ch) ? 10 : RE_KANA.test(ch) ? 4 : undefined),
  hi: (ch) => (RE_DEVANAGARI.test(ch) ? 3 : undefined),
};
const RE_HAN = /\p{Script=Han}/u;
const RE_KANA = /[\p{Script=Hiragana}\p{Script=Katakana}\u30fc]/u;
const RE_DEVANAGARI = /\p{Script=Devanagari}/u;

/**
 * Estimated tokens of one word read in `lang`: the language's own costs for its script, the
 * English estimate for everything else. Without a language: the English estimate.
 */
export function estimateWordTokensIn(word: string, lang: Language | undefined): number {
  const own = lang === undefined ? undefined : LANGUAGE_COSTS[lang];
  if (own === undefined) return estimateWordTokens(word);
  let cost = 0;
  let rest = '';
  for (const ch of word) {
    const c = own(ch);
    if (c === undefined) rest += ch;
    else {
      if (rest !== '') cost += estimateWordTokens(rest);
      rest = '';
      cost += c;
    }
  }
  return cost + (rest === '' ? 0 : estimateWordTokens(rest));
}

/** Estimated phoneme tokens of `text`: the sum of its words plus one per gap between them. */
export function estimateTokens(text: string, lang?: Language): number {
  let total = 0;
  let words = 0;
  for (const word of text.split(/\s+/u)) {
    if (word === '') continue;
    total += estimateWordTokensIn(word, lang);
    words++;
  }
  return total + Math.max(0, words - 1);
}

/** True for a whitespace character, as the chunker and the estimator both split on it. */
export function isWhitespace(ch: string): boolean {
  return RE_WHITESPACE.test(ch);
}

/**
 * Whether `text` has anything to say: a character that is not whitespace, pause
 * punctuation or an invisible format character. A chunk of only "..." or `")` would be
 * synthesized as noise or refused as empty, so the chunker never emits one on its own.
 */
export function isSpeakable(text: string): boolean {
  for (const ch of text) {
    if (RE_WHITESPACE.test(ch) || PAUSE_PUNCT.has(ch) || WORD_MARKS.has(ch) || SILENT.has(ch) || RE_ZERO_COST.test(ch)) continue;
    return true;
  }
  return false;
}
