/**
 * Streaming text -> phrases small enough for Kokoro, as LLM tokens arrive.
 *
 * Each push() appends to a buffer and returns the phrases that are complete now; flush()
 * ends the turn and returns the rest. A phrase ends at the strongest boundary available:
 *
 *   sentence   . ! ? (not "Dr." / "e.g." / "3.14" / an initial), a newline, 。！？
 *   clause     , ; : — – … and their CJK forms
 *   word       any whitespace
 *   character  a single giant word (a URL, a 5,000-digit number), by grapheme, last resort
 *
 * Sizes grow through the turn, trading first-audio latency for fewer, longer chunks:
 *
 *   chunk 0    the first clause of 3+ words, a first sentence, or at most
 *              `firstChunkMaxWords` words (and FIRST_CHUNK_MAX_TOKENS)
 *   chunk 1    a sentence, split at clauses above half the token budget
 *   chunk 2+   a sentence, split at clauses above the token budget (300 by default)
 *
 * With a `sizer` (the host's default), the token bounds of every chunk come from the
 * measured cost curve instead: short enough to be ready before the audio before it ends
 * (where no size can be, the fixed schedule's).
 *
 * The smaller early limits yield to a single word within the full budget (a phone
 * number goes whole); only a word over the full budget is cut by characters.
 *
 * A boundary counts only once the text after it has arrived ("3." may become "3.14"), so
 * no token is ever split by a push() split point. Budgets are in *estimated* phoneme
 * tokens (token-estimate.ts), which run high on purpose; the model's hard limit is 510.
 *
 * No words are lost: every character of the input is in exactly one chunk, in order,
 * except whitespace between chunks and stretches with nothing to say (only pause
 * punctuation or invisible characters, such as a trailing `..."`). Those are dropped,
 * never sent alone: synthesized, they would give noise or an `empty_text` failure. A
 * boundary is taken only when the phrase before it has something to say, so such
 * stretches ride along with the words next to them except at the very end of a turn.
 */
import { estimateWordTokens, isSpeakable } from '../common/token-estimate.ts';
import type { ChunkSizer } from './chunk-sizer.ts';
import { withMarkup } from './markup-tokens.ts';
import { AMBIGUOUS_END, CJK_CLAUSE, CJK_SENTENCE, CLAUSE_MARKS, CLOSERS, NEVER_END, OPENERS, RE_UPPER_START, RE_WS, readWord, SENTENCE_MARKS, SOFT_BREAKS, Strength, type Word } from './phrase-marks.ts';

export interface PhraseChunk {
  text: string;
  /** 0-based within the turn. */
  index: number;
}

export interface PhraseChunkerOptions {
  /** Budget of estimated phoneme tokens for a chunk (default 300; Kokoro's hard limit is 510). */
  maxTokens?: number;
  /** The first chunk ends after at most this many words (default 8). */
  firstChunkMaxWords?: number;
  /**
   * Estimated tokens of ONE word (no whitespace). A chunk's estimate is the sum over its
   * words plus one per gap, exactly as `estimateTokens()` computes it.
   */
  estimateTokens?: (text: string) => number;
  /**
   * Token bounds from the host's measured cost curve (chunk-sizer.ts), in place of the
   * fixed schedule below; the word and first-chunk caps still apply.
   */
  sizer?: ChunkSizer;
}

export const DEFAULT_MAX_TOKENS = 300;
export const DEFAULT_FIRST_CHUNK_MAX_WORDS = 8;
/** A first chunk of many big words (numbers, emoji) is still short. */
const FIRST_CHUNK_MAX_TOKENS = 120;
/** A clause ends the first chunk only when it has this many words ("Well," waits). */
const FIRST_CLAUSE_MIN_WORDS = 3;
/** Bounds a chunk of characters the estimator prices at zero (control and format characters). */
const MAX_CHUNK_CHARS = 1000;
const WORD_CACHE_SIZE = 512;

interface Cut {
  /** The chunk is buffer[0, end); the buffer resumes at `next`. */
  end: number;
  next: number;
  strength: Strength;
  tokens: number;
  words: number;
  speakable: boolean;
}

interface Limits {
  tokens: number;
  words: number;
  /** Clause cuts shorter than this lose to a later word cut in an overflow. */
  minClauseTokens: number;
  minClauseWords: number;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * @example
 * const chunker = new PhraseChunker();
 * for await (const token of llm) for (const c of chunker.push(token)) pipeline.processChunk(c.text);
 * for (const c of chunker.flush()) pipeline.processChunk(c.text);
 */
export class PhraseChunker {
  readonly #maxTokens: number;
  readonly #firstMaxWords: number;
  readonly #wordTokens: (word: string) => number;
  readonly #sizer: ChunkSizer | undefined;
  #buf = '';
  #index = 0;
  /** Each push() rescans the buffer from its start; complete words repeat, so their costs are kept. */
  readonly #words = new Map<string, { cost: number; speakable: boolean }>();

  constructor(opts: PhraseChunkerOptions = {}) {
    this.#maxTokens = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
    this.#firstMaxWords = opts.firstChunkMaxWords ?? DEFAULT_FIRST_CHUNK_MAX_WORDS;
    this.#wordTokens = withMarkup(opts.estimateTokens ?? estimateWordTokens);
    this.#sizer = opts.sizer;
    if (!Number.isInteger(this.#maxTokens) || this.#maxTokens < 1) throw new RangeError('maxTokens must be a positive integer');
    if (!Number.isInteger(this.#firstMaxWords) || this.#firstMaxWords < 1) {
      throw new RangeError('firstChunkMaxWords must be a positive integer');
    }
  }

  get nextIndex(): number {
    return this.#index;
  }

  get bufferedChars(): number {
    return this.#buf.length;
  }

  push(text: string): PhraseChunk[] {
    this.#buf += text;
    return this.#drain(false);
  }

  /** End of turn: every remaining phrase. The index keeps counting if push() is called again. */
  flush(): PhraseChunk[] {
    return this.#drain(true);
  }

  #drain(final: boolean): PhraseChunk[] {
    const out: PhraseChunk[] = [];
    for (;;) {
      this.#buf = this.#buf.replace(/^\s+/u, '');
      if (this.#buf === '') return out;
      const cut = this.#nextCut(final);
      if (cut === null) return out;
      const text = this.#buf.slice(0, cut.end).trimEnd();
      this.#buf = this.#buf.slice(cut.next);
      // Text with nothing to say (a stray "..." or a run of format characters) holds no word.
      if (cut.speakable) {
        out.push({ text, index: this.#index++ });
        this.#sizer?.commit(cut.tokens);
      }
    }
  }

  #word(text: string): { cost: number; speakable: boolean } {
    let info = this.#words.get(text);
    if (info === undefined) {
      if (this.#words.size >= WORD_CACHE_SIZE) this.#words.clear();
      info = { cost: this.#wordTokens(text), speakable: isSpeakable(text) };
      this.#words.set(text, info);
    }
    return info;
  }

  #limits(): Limits {
    const bound = this.#sizer?.limit() ?? null;
    if (bound !== null) {
      const sized = Math.min(this.#maxTokens, bound);
      if (this.#index > 0) return { tokens: sized, words: Infinity, minClauseTokens: sized / 3, minClauseWords: 1 };
      const tokens = Math.min(sized, FIRST_CHUNK_MAX_TOKENS);
      return { tokens, words: this.#firstMaxWords, minClauseTokens: 0, minClauseWords: FIRST_CLAUSE_MIN_WORDS };
    }
    if (this.#index === 0) {
      const tokens = Math.min(this.#maxTokens, FIRST_CHUNK_MAX_TOKENS);
      return { tokens, words: this.#firstMaxWords, minClauseTokens: 0, minClauseWords: FIRST_CLAUSE_MIN_WORDS };
    }
    if (this.#index === 1) {
      const tokens = Math.max(Math.min(this.#maxTokens, FIRST_CHUNK_MAX_TOKENS), Math.ceil(this.#maxTokens / 2));
      return { tokens, words: Infinity, minClauseTokens: tokens / 3, minClauseWords: 1 };
    }
    return { tokens: this.#maxTokens, words: Infinity, minClauseTokens: this.#maxTokens / 3, minClauseWords: 1 };
  }

  /** Where the next chunk ends, or null to wait for more text. */
  #nextCut(final: boolean): Cut | null {
    const limits = this.#limits();
    const buf = this.#buf;
    const fitting: Cut[] = [];
    let tokens = 0;
    let words = 0;
    let speakable = false;
    let pos = 0;
    let overflow = false;
    while (pos < buf.length) {
      const word = readWord(buf, pos, final);
      const text = buf.slice(word.start, word.end);
      const { cost, speakable: says } = this.#word(text);
      const total = tokens + (words > 0 ? 1 : 0) + cost;
      if (words + 1 > limits.words) {
        overflow = true;
        break;
      }
      if (total > limits.tokens || word.end > MAX_CHUNK_CHARS) {
        // A word still arriving may cost less once complete ("wh" is spelled, "while" is
        // not): decide on the whole word, so split points never change the chunks.
        if (!word.complete && cost <= this.#maxTokens && word.end - word.start <= MAX_CHUNK_CHARS) return null;
        overflow = true;
        break;
      }
      tokens = total;
      words++;
      speakable ||= says;
      if (!word.complete) break;
      const strength = this.#strength(buf, word, final, words);
      const cut: Cut = { end: word.end, next: word.next, strength, tokens, words, speakable };
      if (speakable && this.#isNaturalEnd(strength, words)) return cut;
      fitting.push(cut);
      pos = word.next;
    }
    if (overflow) return this.#overflowCut(fitting, limits, final);
    if (final) return { end: buf.length, next: buf.length, strength: Strength.Sentence, tokens, words, speakable };
    return null;
  }

  #isNaturalEnd(strength: Strength, words: number): boolean {
    if (strength === Strength.Sentence) return true;
    return this.#index === 0 && strength === Strength.Clause && words >= FIRST_CLAUSE_MIN_WORDS;
  }

  /** The content passed a limit before a natural end: take the best cut that fits. */
  #overflowCut(fitting: readonly Cut[], limits: Limits, final: boolean): Cut | null {
    const usable = fitting.some((c) => c.speakable) ? fitting.filter((c) => c.speakable) : fitting;
    const best = (min: Strength, minTokens = 0, minWords = 1) =>
      usable.findLast((c) => c.strength >= min && c.tokens >= minTokens && c.words >= minWords);
    const cut = best(Strength.Sentence) ?? best(Strength.Clause, limits.minClauseTokens, limits.minClauseWords) ?? best(Strength.Word);
    return cut ?? this.#oversizedWord(limits.tokens, final);
  }

  /**
   * The first word alone is over this chunk's limit. The early chunks' smaller limits are
   * preferences: a word within the full budget (a phone number, a long URL) goes whole,
   * once complete. Only a word over the full budget is cut by characters.
   */
  #oversizedWord(earlyLimit: number, final: boolean): Cut | null {
    const word = readWord(this.#buf, 0, final);
    const text = this.#buf.slice(0, word.end);
    const tokens = this.#wordTokens(text);
    if (earlyLimit < this.#maxTokens && tokens <= this.#maxTokens && word.end <= MAX_CHUNK_CHARS) {
      if (!word.complete) return null;
      return { end: word.end, next: word.next, strength: Strength.Word, tokens, words: 1, speakable: isSpeakable(text) };
    }
    return this.#splitGiantWord(Math.min(this.#maxTokens, earlyLimit), final);
  }

  /** The first word alone is over the budget: cut it by graphemes (code points if one grapheme is). */
  #splitGiantWord(maxTokens: number, final: boolean): Cut {
    const buf = this.#buf;
    let wordEnd = 0;
    while (wordEnd < buf.length && !RE_WS.test(buf[wordEnd]!)) wordEnd++;
    let limit = Math.min(wordEnd, MAX_CHUNK_CHARS);
    if (limit < wordEnd && /[\uD800-\uDBFF]/.test(buf[limit - 1]!)) limit--;
    const word = buf.slice(0, limit);
    let pieces = [...segmenter.segment(word)].map((s) => s.segment);
    // The last grapheme of a word still arriving may be half of one (a lone surrogate, an emoji missing its ZWJ tail).
    if (!final && limit === buf.length && pieces.length > 1) pieces.pop();
    let fit = this.#longestFittingPrefix(pieces, maxTokens);
    if (fit === 0) {
      pieces = [...pieces[0]!];
      fit = Math.max(1, this.#longestFittingPrefix(pieces, maxTokens));
    }
    // A soft break (after "/" or "-") in the second half of the fit reads better than an arbitrary cut.
    for (let i = fit; i > fit / 2 && i > 1; i--) {
      if (SOFT_BREAKS.has(pieces[i - 1]!)) {
        fit = i;
        break;
      }
    }
    const end = pieces.slice(0, fit).join('').length;
    const text = buf.slice(0, end);
    return { end, next: end, strength: Strength.None, tokens: this.#wordTokens(text), words: 1, speakable: isSpeakable(text) };
  }

  /** The largest n with cost(pieces[0..n)) <= max: binary search, then checked, as cost is not strictly monotone. */
  #longestFittingPrefix(pieces: readonly string[], max: number): number {
    const cost = (n: number) => this.#wordTokens(pieces.slice(0, n).join(''));
    let lo = 0;
    let hi = pieces.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (cost(mid) <= max) lo = mid;
      else hi = mid - 1;
    }
    while (lo > 0 && cost(lo) > max) lo--;
    return lo;
  }

  #strength(buf: string, word: Word, final: boolean, wordsInChunk: number): Strength {
    if (word.newline) return Strength.Sentence;
    const text = buf.slice(word.start, word.end);
    let i = text.length;
    while (i > 0 && CLOSERS.has(text[i - 1]!)) i--;
    const core = text.slice(0, i);
    const last = core.at(-1) ?? '';
    if (CJK_SENTENCE.has(last)) return Strength.Sentence;
    if (CJK_CLAUSE.has(last)) return Strength.Clause;
    if (word.next === word.end) return Strength.Word;
    if (SENTENCE_MARKS.has(last)) {
      if (core.endsWith('...') || last === '…') return Strength.Clause;
      if (last !== '.') return Strength.Sentence;
      return this.#periodEnds(buf, core, word, final, wordsInChunk);
    }
    if (CLAUSE_MARKS.has(last) || core === '-' || (i < text.length && text[i] === ')')) return Strength.Clause;
    return Strength.Word;
  }

  /** "Dr. Smith", "e.g. this", "J. R. R. Tolkien", "1. Buy milk" are not sentence ends. */
  #periodEnds(buf: string, core: string, word: Word, final: boolean, wordsInChunk: number): Strength {
    const stem = core.slice(0, -1).replace(OPENERS, '');
    const lower = stem.toLowerCase();
    if (NEVER_END.has(lower)) return Strength.Word;
    if (/^\p{L}$/u.test(stem) && stem !== 'I') return Strength.Word;
    if (wordsInChunk === 1 && /^\d{1,3}$/.test(stem)) return Strength.Word;
    if (AMBIGUOUS_END.has(lower) || /\p{L}\.\p{L}/u.test(stem)) {
      // Decided by the next word's first letter, once it has arrived.
      if (word.next >= buf.length) return final ? Strength.Sentence : Strength.Word;
      return RE_UPPER_START.test(buf.slice(word.next, word.next + 8)) ? Strength.Sentence : Strength.Word;
    }
    return Strength.Sentence;
  }
}
