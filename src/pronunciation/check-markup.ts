/**
 * Inline tags checked before a request is taken: a tag that looks meant but is malformed,
 * or phonemes the model does not know, is a coded error (invalid_markup) and nothing is
 * queued. Text in brackets that is no tag ("[1]", "[citation needed]") is ordinary text.
 */
import { MAX_PAUSE_SECONDS, MAX_TAG_CHARS, parseMarkup, phonemeTag } from '../shared/markup.ts';
import { phonemeProblem } from './vocab.ts';

/** Looks like a pause tag: "[pause" then anything up to the bracket. */
const PAUSE_LIKE = /\[pause\b[^\]\n]{0,40}\]?/gi;
const PAUSE = /^\[pause:(\d+(?:\.\d+)?)s\]$/i;
/** The middle of a phoneme tag, "](/", wherever it is. */
const PHONEME_LIKE = /\]\(\//g;

export class MarkupError extends Error {
  override name = 'MarkupError';
}

/**
 * For a socket's text message, where a tag may continue in the next message: only the
 * message's complete tags are judged (a bad pause, unknown phonemes). Returns why, or null.
 */
export function streamedMarkupProblem(text: string): string | null {
  if (!text.includes('[')) return null;
  for (const m of text.matchAll(PAUSE_LIKE)) {
    if (!m[0].endsWith(']')) continue;
    const ok = PAUSE.exec(m[0]);
    if (ok === null) return `bad pause tag ${JSON.stringify(m[0].slice(0, 48))}: write [pause:0.5s]`;
    if (Number(ok[1]) > MAX_PAUSE_SECONDS) return `a pause may last at most ${MAX_PAUSE_SECONDS} s`;
  }
  for (const seg of parseMarkup(text)) {
    if (seg.kind !== 'phonemes') continue;
    const problem = tagProblem(seg.word, seg.phonemes);
    if (problem !== null) return problem;
  }
  return null;
}

/** Why this phoneme tag cannot be spoken as written, or null. */
function tagProblem(word: string, phonemes: string): string | null {
  const where = `[${word.slice(0, 20)}](/${phonemes.slice(0, 40)}/)`;
  // The chunker holds a tag whole only up to this length: a longer one would be cut apart.
  if (phonemeTag(word, phonemes).length > MAX_TAG_CHARS) return `${where}: a tag may be at most ${MAX_TAG_CHARS} characters`;
  const problem = phonemeProblem(phonemes);
  return problem === null ? null : `${where}: ${problem}`;
}

/** Throws MarkupError for the first bad tag of `text`. */
export function checkMarkup(text: string): void {
  for (const m of text.matchAll(PAUSE_LIKE)) {
    const ok = PAUSE.exec(m[0]);
    if (ok === null) throw new MarkupError(`bad pause tag ${JSON.stringify(m[0].slice(0, 48))}: write [pause:0.5s]`);
    if (Number(ok[1]) > MAX_PAUSE_SECONDS) throw new MarkupError(`a pause may last at most ${MAX_PAUSE_SECONDS} s`);
  }
  const segments = parseMarkup(text);
  let tagged = 0;
  for (const seg of segments) {
    if (seg.kind !== 'phonemes') continue;
    tagged++;
    const problem = tagProblem(seg.word, seg.phonemes);
    if (problem !== null) throw new MarkupError(problem);
  }
  const looks = [...text.matchAll(PHONEME_LIKE)].length;
  if (looks > tagged) throw new MarkupError('an unfinished [word](/phonemes/) tag: phonemes go between two slashes, with no "/", "(" or ")" inside');
}
