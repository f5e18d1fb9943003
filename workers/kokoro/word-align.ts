/**
 * Which words of a chunk's text each phoneme came from. Pure: used by the G2P front end
 * (phonemize.ts) and by tests.
 *
 * Why an alignment and not "phonemize each word and join": espeak-ng phonemizes a sentence
 * differently from its words alone (function words lose their stress, "a" is ɐ not ˈeɪ, "in the"
 * runs together as ɪnðə), and those are the phonemes Kokoro was trained on: joining per-word
 * phonemes changed 5 of 6 ordinary test sentences. So the chunk keeps its sentence phonemes,
 * exactly as kokoro-js makes them, and each word's own phonemes only locate it: a global
 * alignment (Needleman-Wunsch) of the sentence's phonemes against the words' phonemes in order
 * labels every sentence phoneme with the word whose phoneme it matched. Word order is kept by
 * construction (a global alignment never crosses), a number or symbol phonemized as several
 * words stays one word, punctuation and spaces belong to no word.
 */
import type { G2pWord } from '../../src/shared/word-timing.ts';

/** Kokoro-js's punctuation (its split pattern) plus quotes and dashes: never a word, never part of one's time. */
const PUNCTUATION = new Set([...';:,.!?¡¿—…"«»“”(){}[]\'‘’-–']);
/** espeak's stress and length marks: the sentence drops or moves them freely, so gaps over them cost less. */
const MARKS = new Set(['ˈ', 'ˌ', 'ː']);

export interface TextWord {
  text: string;
  charStart: number;
  charEnd: number;
}

/** The words of `text`: runs without whitespace, stripped of leading and trailing punctuation. */
export function textWords(text: string): TextWord[] {
  const words: TextWord[] = [];
  for (const m of text.matchAll(/\S+/g)) {
    let start = m.index;
    let end = start + m[0].length;
    while (start < end && PUNCTUATION.has(text[start]!)) start++;
    while (end > start && PUNCTUATION.has(text[end - 1]!)) end--;
    if (end > start) words.push({ text: text.slice(start, end), charStart: start, charEnd: end });
  }
  return words;
}

const GAP = -2;
const MARK_GAP = -1;
const MATCH = 4;
const MISMATCH = -3;

/**
 * Labels each code point of `sentence` with the index of the word (of `wordPhonemes`, in order)
 * it aligns with, or -1. Spaces and punctuation are always -1.
 */
export function labelPhonemes(sentence: readonly string[], wordPhonemes: readonly string[]): Int32Array {
  const ref: string[] = [];
  const refLabel: number[] = [];
  wordPhonemes.forEach((ph, w) => {
    if (w > 0) {
      ref.push(' ');
      refLabel.push(-1);
    }
    for (const ch of ph) {
      ref.push(ch);
      refLabel.push(PUNCTUATION.has(ch) ? -1 : w);
    }
  });
  const n = sentence.length;
  const m = ref.length;
  const cols = m + 1;
  const score = new Float64Array((n + 1) * cols);
  // 0: diagonal, 1: up (sentence char against a gap), 2: left (word char against a gap).
  const move = new Uint8Array((n + 1) * cols);
  const gap = (ch: string) => (MARKS.has(ch) ? MARK_GAP : GAP);
  for (let i = 1; i <= n; i++) {
    score[i * cols] = score[(i - 1) * cols]! + gap(sentence[i - 1]!);
    move[i * cols] = 1;
  }
  for (let j = 1; j <= m; j++) {
    score[j] = score[j - 1]! + gap(ref[j - 1]!);
    move[j] = 2;
  }
  for (let i = 1; i <= n; i++) {
    const a = sentence[i - 1]!;
    for (let j = 1; j <= m; j++) {
      const b = ref[j - 1]!;
      const diag = score[(i - 1) * cols + j - 1]! + (a === b ? MATCH : MISMATCH);
      const up = score[(i - 1) * cols + j]! + gap(a);
      const left = score[i * cols + j - 1]! + gap(b);
      const best = Math.max(diag, up, left);
      score[i * cols + j] = best;
      move[i * cols + j] = best === diag ? 0 : best === up ? 1 : 2;
    }
  }
  const labels = new Int32Array(n).fill(-1);
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const step = move[i * cols + j]!;
    if (i > 0 && j > 0 && step === 0) {
      const ch = sentence[i - 1]!;
      if (ch !== ' ' && !PUNCTUATION.has(ch)) labels[i - 1] = refLabel[j - 1]!;
      i--;
      j--;
    } else if (i > 0 && (step === 1 || j === 0)) i--;
    else j--;
  }
  return labels;
}

/**
 * Each word's span of `phonemes` (code points, end exclusive): from its first labelled phoneme to
 * its last, in order and never overlapping. A word no phoneme matched gets an empty span where it
 * would have been, so every word of the text has an entry.
 */
export function alignWords(phonemes: string, words: readonly TextWord[], wordPhonemes: readonly string[]): G2pWord[] {
  const labels = labelPhonemes([...phonemes], wordPhonemes);
  const first = new Array<number>(words.length).fill(-1);
  const last = new Array<number>(words.length).fill(-1);
  labels.forEach((w, at) => {
    if (w < 0) return;
    if (first[w] === -1) first[w] = at;
    last[w] = at;
  });
  const out: G2pWord[] = [];
  let floor = 0;
  words.forEach((word, w) => {
    const start = first[w] === -1 ? floor : Math.max(first[w]!, floor);
    const end = first[w] === -1 ? start : Math.max(last[w]! + 1, start);
    out.push({ charStart: word.charStart, charEnd: word.charEnd, phStart: start, phEnd: end });
    floor = end;
  });
  return out;
}
