/**
 * Japanese text -> G2pResult, as upstream's v1.0 front end does it: a morphological analyser
 * gives each word's pronunciation in kana (kuromoji, IPADIC), each kana becomes Kokoro's
 * symbols (ja-kana.ts), words a space apart, Japanese marks read as Kokoro's pause marks.
 * Auxiliaries and suffixes join the word before them (食べ|ます is one spoken word).
 *
 * The analyser's dictionary (about 18 MB packed, several times that loaded) is built on first
 * use, never at worker start; bench/g2p-memory.ts measures what it costs.
 */
import { debuglog } from 'node:util';
import { fileURLToPath } from 'node:url';
import kuromoji from 'kuromoji';
import type { G2pResult } from '../../src/shared/word-timing.ts';
import { numbersToHanziMapped, originalSpan } from './cjk-numbers.ts';
import { kanaToKokoro } from './ja-kana.ts';
import { G2pBuilder, isMark } from './result-builder.ts';

const debug = debuglog('kokoro-g2p');

interface Token {
  surface_form: string;
  pos: string;
  pos_detail_1: string;
  pronunciation?: string;
  reading?: string;
  word_position: number;
}
interface Tokenizer {
  tokenize(text: string): Token[];
}

let analyser: Promise<Tokenizer> | undefined;

function loadAnalyser(): Promise<Tokenizer> {
  analyser ??= new Promise<Tokenizer>((resolve, reject) => {
    const dicPath = fileURLToPath(new URL('../dict/', import.meta.resolve('kuromoji')));
    kuromoji.builder({ dicPath }).build((err, tokenizer) => (err === null ? resolve(tokenizer as Tokenizer) : reject(err)));
  });
  // A failed load is not cached: the next request retries.
  analyser.catch(() => (analyser = undefined));
  return analyser;
}

const KANA = /^[\u3041-\u3096\u30a1-\u30fa\u30fc]+$/u;

/** Whether a token is spoken as part of the word before it. */
function joinsPrevious(t: Token): boolean {
  return t.pos === '助動詞' || t.pos_detail_1 === '接尾' || (t.pos === '動詞' && t.pos_detail_1 === '非自立');
}

/** A token's spoken kana, or its letters when it is Latin; '' when it has no reading. */
function spoken(t: Token): string {
  const kana = t.pronunciation ?? t.reading ?? (KANA.test(t.surface_form) ? t.surface_form : undefined);
  if (kana !== undefined && kana !== '*') return kanaToKokoro(kana);
  if (/^[A-Za-z]+$/u.test(t.surface_form)) return t.surface_form.toLowerCase();
  debug('ja: no reading for %j', t.surface_form);
  return '';
}

/** Japanese reads numbers without 零 for empty places: 2024 is 二千二十四. */
const withoutZeros = (hanzi: string) => (hanzi === '零' ? hanzi : hanzi.replaceAll('零', ''));

export async function jaG2p(input: string): Promise<G2pResult> {
  // Full-width letters and digits as ASCII; NFKC keeps lengths for those, and the offsets
  // of G2pWord are mapped back to the caller's text through the number rewrite.
  const mapped = numbersToHanziMapped(input.replace(/[\uff01-\uff5e]/gu, (ch) => ch.normalize('NFKC')), withoutZeros);
  const tokens = (await loadAnalyser()).tokenize(mapped.text);
  const out = new G2pBuilder('ja');
  let word: { start: number; end: number; phonemes: string } | undefined;
  const flush = () => {
    if (word !== undefined) out.word(...originalSpan(mapped, word.start, word.end), word.phonemes);
    word = undefined;
  };
  for (const t of tokens) {
    const start = t.word_position - 1;
    const end = start + t.surface_form.length;
    if ([...t.surface_form].every((ch) => isMark(ch) || /\s/u.test(ch))) {
      flush();
      out.between(t.surface_form);
      continue;
    }
    const phonemes = spoken(t);
    if (word !== undefined && joinsPrevious(t)) {
      word.end = end;
      // The う of a volitional or a long vowel split off by the analyser lengthens the vowel.
      word.phonemes += /[oɯ]$/u.test(word.phonemes) && t.surface_form === 'う' ? 'ː' : phonemes;
      continue;
    }
    flush();
    word = { start, end, phonemes };
  }
  flush();
  return out.result();
}
