/**
 * Text hygiene: what every protocol's text goes through before the chunker and any G2P.
 *
 * The rule, and why:
 *   control characters (C0 but tab/newline/CR, DEL, C1), NUL, lone surrogates and
 *   noncharacters           -> one space. They are no part of any word's spelling; deleting
 *                              one between letters ("a\u0000b") would merge two written words
 *                              into one nobody wrote ("ab"), a space keeps both as written.
 *   format characters (Cf: zero-width space/joiners, bidi marks and isolates, soft hyphen,
 *   word joiner, BOM)       -> deleted. They are invisible by design inside a word
 *                              ("co\u00ADoperate" renders "cooperate"); the word stays as seen.
 *
 * Measured before this existed (speech route, genuine model): "\u0000 hi" answered 500
 * tts_all_failed and "a\u0000b c" lost words; espeak-ng stops at a NUL.
 */

/** C0 controls except \t \n \r, DEL, C1 controls, and the noncharacters U+FFFE/U+FFFF. */
const SEPARATING = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;
/** Format characters (zero-width, bidi, soft hyphen, BOM, tags) and private-use code points. */
const INVISIBLE = /[\p{Cf}\p{Co}]/gu;

/** One complete text, cleaned. A lone surrogate at the end is a lone surrogate. */
export function cleanText(text: string): string {
  // `u` mode sees a lone surrogate as one code point, so the lookarounds above are exact.
  return text.replace(SEPARATING, ' ').replace(INVISIBLE, '');
}

/**
 * Streamed text, cleaned piece by piece: a high surrogate at the end of a piece may be the
 * first half of a pair completed by the next piece, so it is held back until then.
 */
export class TextIntake {
  #held = '';

  push(piece: string): string {
    let text = this.#held + piece;
    this.#held = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.#held = text.slice(-1);
      text = text.slice(0, -1);
    }
    return cleanText(text);
  }

  /** End of the text: whatever was held is cleaned as it is. */
  flush(): string {
    const rest = this.#held;
    this.#held = '';
    return cleanText(rest);
  }
}
