/**
 * Inline pronunciation markup, Kokoro-FastAPI's syntax, read by both threads: the main
 * thread validates it and keeps the chunker from splitting a tag; the worker applies it.
 *
 *   [word](/phonemes/)   say `word` as these Kokoro phonemes (no "/", "(" or ")" inside)
 *   [pause:0.5s]         this many seconds of silence here (case-insensitive)
 *
 * Anything else in brackets ("[1]", "[citation needed]") is ordinary text.
 */

/** A tag is at most this long: the chunker holds an unfinished one back only this far. */
export const MAX_TAG_CHARS = 300;
/** The longest pause one tag may ask for. */
export const MAX_PAUSE_SECONDS = 10;

const PHONEME_TAG = /\[([^[\]]*)\]\(\/([^/()]*)\/\)/y;
const PAUSE_TAG = /\[pause:(\d+(?:\.\d+)?)s\]/iy;
/** The rest of the text could still become a tag once more of it arrives. */
const TAG_PREFIX = /^\[(?:[^[\]]*(?:\](?:\((?:\/[^/()]*\/?)?)?)?)$/;
const TAG_SOURCE = String.raw`\[([^[\]]*)\]\(\/([^/()]*)\/\)|\[pause:(\d+(?:\.\d+)?)s\]`;
/** Not global: `test()` keeps no state between calls. */
const ONE_TAG = new RegExp(TAG_SOURCE, 'iu');

export type MarkupSegment =
  | { kind: 'text'; text: string }
  | { kind: 'phonemes'; word: string; phonemes: string }
  | { kind: 'pause'; seconds: number };

/** The end of the complete tag at `pos`, 'partial' when the text ends inside one, or null. */
export function tagAt(text: string, pos: number): number | 'partial' | null {
  if (text[pos] !== '[') return null;
  for (const re of [PHONEME_TAG, PAUSE_TAG]) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m !== null && m[0].length <= MAX_TAG_CHARS) return pos + m[0].length;
  }
  const rest = text.slice(pos);
  return rest.length < MAX_TAG_CHARS && TAG_PREFIX.test(rest) ? 'partial' : null;
}

export function hasMarkup(text: string): boolean {
  return ONE_TAG.test(text);
}

/** Text split into plain runs, phoneme tags and pauses, in order. */
export function parseMarkup(text: string): MarkupSegment[] {
  const out: MarkupSegment[] = [];
  let at = 0;
  for (const m of text.matchAll(new RegExp(TAG_SOURCE, 'giu'))) {
    if (m.index > at) out.push({ kind: 'text', text: text.slice(at, m.index) });
    if (m[3] !== undefined) out.push({ kind: 'pause', seconds: Math.min(MAX_PAUSE_SECONDS, Number(m[3])) });
    else out.push({ kind: 'phonemes', word: m[1]!, phonemes: m[2]! });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ kind: 'text', text: text.slice(at) });
  return out;
}

/** `word` said as `phonemes`, in the markup (the word's brackets are dropped: they cannot be inside). */
export function phonemeTag(word: string, phonemes: string): string {
  return `[${word.replace(/[[\]]/g, '')}](/${phonemes}/)`;
}

/** The text in runs, each a complete tag (verbatim) or the plain text between tags. */
export function splitTags(text: string): Array<{ tag: boolean; text: string }> {
  const out: Array<{ tag: boolean; text: string }> = [];
  let at = 0;
  for (const m of text.matchAll(new RegExp(TAG_SOURCE, 'giu'))) {
    if (m.index > at) out.push({ tag: false, text: text.slice(at, m.index) });
    out.push({ tag: true, text: m[0] });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ tag: false, text: text.slice(at) });
  return out;
}
