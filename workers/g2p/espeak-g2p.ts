/**
 * Text -> G2pResult for es, fr, hi, it and pt-br through espeak-ng (as upstream Kokoro does),
 * keeping punctuation as Kokoro's pause tokens the way its phonemizer does: the text is cut
 * at punctuation, the pieces between are phonemized, and the marks put back between them.
 *
 * All pieces go through one espeak-ng run, a blank line apart: espeak writes one line per
 * clause, and a piece holds no clause mark, so line i is piece i. If espeak splits a piece
 * itself (an abbreviation's full stop), the counts differ and each piece is run alone.
 */
import { debuglog } from 'node:util';
import type { G2pResult } from '../../src/shared/word-timing.ts';
import { ESPEAK_VOICES, espeakToKokoro, type EspeakLanguage } from './espeak-map.ts';
import { espeakIpa } from './espeak-wasm.ts';
import { G2pBuilder, isMark } from './result-builder.ts';

const debug = debuglog('kokoro-g2p');

interface Piece {
  start: number;
  end: number;
  text: string;
}

/** A full stop or comma between digits is part of a number ("3,5", "1.000"), not a mark. */
function isMarkAt(text: string, i: number): boolean {
  const ch = text[i]!;
  if ((ch === '.' || ch === ',') && /\d/.test(text[i - 1] ?? '') && /\d/.test(text[i + 1] ?? '')) return false;
  return isMark(ch);
}

/** The runs of text between marks (trimmed, non-empty), with their offsets. */
export function piecesOf(text: string): Piece[] {
  const pieces: Piece[] = [];
  let start = -1;
  const close = (end: number) => {
    if (start < 0) return;
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const body = raw.trim();
    if (body !== '') pieces.push({ start: start + lead, end: start + lead + body.length, text: body });
    start = -1;
  };
  for (let i = 0; i < text.length; i++) {
    if (isMarkAt(text, i)) close(i);
    else if (start < 0) start = i;
  }
  close(text.length);
  return pieces;
}

async function ipaPerPiece(pieces: readonly Piece[], voice: string): Promise<string[]> {
  const lines = (await espeakIpa(pieces.map((p) => p.text).join('\n\n'), voice)).split('\n').filter((l) => l.trim() !== '');
  if (lines.length === pieces.length) return lines;
  debug('espeak-ng (%s) wrote %d clauses for %d pieces: phonemizing each piece alone', voice, lines.length, pieces.length);
  const each: string[] = [];
  for (const p of pieces) each.push((await espeakIpa(p.text, voice)).split('\n').join(' '));
  return each;
}

export async function espeakG2p(text: string, lang: EspeakLanguage): Promise<G2pResult> {
  return (await espeakG2pMany([text], lang))[0]!;
}

/**
 * Several texts through one espeak-ng run (each call pays espeak's start-up): what a caller
 * with many phrases at hand (a phonemize request, a test) uses. Results in the texts' order.
 */
export async function espeakG2pMany(texts: readonly string[], lang: EspeakLanguage): Promise<G2pResult[]> {
  const perText = texts.map(piecesOf);
  const all = perText.flat();
  const ipa = all.length === 0 ? [] : await ipaPerPiece(all, ESPEAK_VOICES[lang]);
  let next = 0;
  return texts.map((text, i) => assemble(text, perText[i]!, ipa.slice(next, (next += perText[i]!.length)), lang));
}

function assemble(text: string, pieces: readonly Piece[], ipa: readonly string[], lang: EspeakLanguage): G2pResult {
  const out = new G2pBuilder(lang);
  let at = 0;
  pieces.forEach((piece, i) => {
    out.between(text.slice(at, piece.start));
    const spoken = espeakToKokoro(ipa[i]!).trim().split(/\s+/u).filter((w) => w !== '');
    const written = [...piece.text.matchAll(/\S+/gu)];
    if (spoken.length === written.length) {
      // One spoken word per written word: each gets its own span (word timing).
      written.forEach((w, k) => out.word(piece.start + w.index, piece.start + w.index + w[0].length, spoken[k]!));
    } else {
      // Numbers read as several words, words merged by liaison: the piece is one span.
      out.word(piece.start, piece.end, spoken.join(' '));
    }
    at = piece.end;
  });
  out.between(text.slice(at));
  return out.result();
}
