/**
 * Builds a G2pResult (src/shared/word-timing.ts) piece by piece, so every front end gets the
 * same offsets right: words' phonemes (filtered to Kokoro's vocab) with their character span
 * in the text, and the punctuation and spaces between them.
 */
import type { G2pResult, G2pWord } from '../../src/shared/word-timing.ts';
import { keepKnownSymbols } from './vocab-filter.ts';

/** Pause punctuation in Kokoro's vocab, and how other scripts' marks are read as one of them. */
const MARK_AS: Readonly<Record<string, string>> = Object.freeze({
  '«': '“', '»': '”', '「': '“', '」': '”', '『': '“', '』': '”', '《': '“', '》': '”', '【': '“', '】': '”',
  '。': '.', '．': '.', '、': ',', '，': ',', '！': '!', '？': '?', '：': ':', '；': ';', '（': '(', '）': ')',
  '～': '—', '〜': '—', '―': '—', '–': '—', '‥': '…', '¡': '', '¿': '',
});
const KOKORO_MARKS = new Set([...';:,.!?—…"()“”']);
const OPENING = new Set([...'(“']);

export class G2pBuilder {
  #phonemes = '';
  #length = 0;
  readonly #words: G2pWord[] = [];

  constructor(readonly lang: string) {}

  /** A word (or a span of words read as one) at [charStart, charEnd) of the text. */
  word(charStart: number, charEnd: number, phonemes: string): void {
    const known = keepKnownSymbols(phonemes.trim(), this.lang);
    if (known === '') return;
    if (this.#length > 0 && !this.#phonemes.endsWith(' ') && !this.#endsWithOpening()) this.#append(' ');
    const phStart = this.#length;
    this.#append(known);
    // A number read as several words is one word of the text: one entry.
    const last = this.#words.at(-1);
    if (last !== undefined && last.charStart === charStart && last.charEnd === charEnd) last.phEnd = this.#length;
    else this.#words.push({ charStart, charEnd, phStart, phEnd: this.#length });
  }

  /** Punctuation and spaces between words: marks Kokoro knows are kept, whitespace is one space. */
  between(text: string): void {
    for (const ch of text) {
      if (/\s/u.test(ch)) {
        if (this.#length > 0 && !this.#phonemes.endsWith(' ')) this.#append(' ');
        continue;
      }
      const mark = MARK_AS[ch] ?? (KOKORO_MARKS.has(ch) ? ch : '');
      if (mark === '') continue;
      const opening = OPENING.has(mark);
      if (opening) {
        // An opening mark starts the next word: a space before it, none after.
        if (this.#length > 0 && !this.#phonemes.endsWith(' ')) this.#append(' ');
        this.#append(mark);
        continue;
      }
      // Other marks hang on the word before them and a space follows, as Kokoro's phonemizer
      // writes them (CJK text has no space after its marks; the phonemes do).
      if (this.#phonemes.endsWith(' ')) {
        this.#phonemes = this.#phonemes.slice(0, -1);
        this.#length--;
      }
      this.#append(mark);
      this.#append(' ');
    }
  }

  result(): G2pResult {
    return { phonemes: this.#phonemes.trimEnd(), words: this.#words };
  }

  #endsWithOpening(): boolean {
    return OPENING.has(this.#phonemes.at(-1) ?? '');
  }

  #append(s: string): void {
    this.#phonemes += s;
    this.#length += [...s].length;
  }
}

/** Whether `ch` is punctuation the builder reads (or drops) as a mark rather than a word. */
export function isMark(ch: string): boolean {
  return Object.hasOwn(MARK_AS, ch) || KOKORO_MARKS.has(ch) || '[]{}'.includes(ch);
}
