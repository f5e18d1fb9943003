/**
 * What the phrase chunker reads text with: the strength of a boundary, the punctuation and
 * abbreviations that make one (or do not), and how a word is read from the buffer.
 */
import { tagAt } from '../shared/markup.ts';

export const enum Strength {
  None = 0,
  Word = 1,
  Clause = 2,
  Sentence = 3,
}

/** Abbreviations whose period never ends a sentence. */
export const NEVER_END = new Set(
  ('mr mrs ms mx dr prof rev hon st mt ft sgt capt col gen lt cmdr gov sen rep pres fig figs eq eqs ' +
    'no nos vol vols ch chap sec pp approx dept vs v e.g i.e cf viz ca').split(' '),
);
/** Abbreviations that end a sentence only when a capital letter follows. */
export const AMBIGUOUS_END = new Set('etc inc ltd co corp jr sr bros al llc plc'.split(' '));
/** Hindi ends sentences with the danda (।, ॥), followed by a space like a full stop. */
export const SENTENCE_MARKS = new Set([...'.!?…।॥']);
export const CLAUSE_MARKS = new Set([...',;:—–…']);
/** Closing quotes and brackets that belong to the phrase they close. */
export const CLOSERS = new Set([...`"'”’»)]}」』）`]);
/** CJK punctuation ends a phrase without any space after it. */
export const CJK_SENTENCE = new Set([...'。！？．']);
export const CJK_CLAUSE = new Set([...'、，；：']);
/** Spanish opens questions and exclamations with ¿ and ¡. */
export const OPENERS = /^[\s"'“‘«([{「『（¿¡]+/u;
export const RE_UPPER_START = /^["'“‘«([{「『（¿¡]*\p{Lu}/u;
export const RE_WS = /\s/u;
/** Inside a giant word, prefer splitting after one of these ("https://a.b/c?d=e"). */
export const SOFT_BREAKS = new Set([...'/\\-_.,:;?&=+#@|~']);

export interface Word {
  start: number;
  /** End of the word's characters (exclusive). */
  end: number;
  /** Start of the next word: after the whitespace gap, or `end` for a CJK break. */
  next: number;
  /** Whether the whitespace gap after the word holds a newline. */
  newline: boolean;
  complete: boolean;
}

/**
 * The word starting at `pos`: up to whitespace, or just after CJK punctuation (and its
 * closers). It is complete when something follows it, or at the end of the turn. An inline
 * tag (src/shared/markup.ts) is part of its word whatever spaces it holds, and a tag still
 * arriving keeps its word incomplete: a phrase never ends inside a tag.
 */
export function readWord(buf: string, pos: number, final: boolean): Word {
  let end = pos;
  let cjkBreak = false;
  while (end < buf.length && !RE_WS.test(buf[end]!)) {
    const ch = buf[end]!;
    const tag = ch === '[' ? tagAt(buf, end) : null;
    if (typeof tag === 'number') {
      end = tag;
      continue;
    }
    if (tag === 'partial' && !final) return { start: pos, end: buf.length, next: buf.length, newline: false, complete: false };
    end++;
    if (CJK_SENTENCE.has(ch) || CJK_CLAUSE.has(ch)) {
      while (end < buf.length && CLOSERS.has(buf[end]!)) end++;
      cjkBreak = true;
      break;
    }
  }
  let next = end;
  let newline = false;
  while (next < buf.length && RE_WS.test(buf[next]!)) {
    if (buf[next] === '\n' || buf[next] === '\r') newline = true;
    next++;
  }
  const followed = cjkBreak ? end < buf.length : next > end;
  return { start: pos, end, next, newline, complete: followed || final };
}
