/**
 * Mandarin text -> G2pResult, as upstream's v1.0 front end does it: numbers to Chinese
 * numerals, word segmentation with pinyin chosen in context (pinyin-pro: its dictionary
 * reads 银行 as yin2hang2 and 行走 as xing2zou3), each syllable to Kokoro's symbols, words
 * a space apart, CJK marks read as Kokoro's pause marks. Latin text inside is spelled out by
 * letter names Kokoro has no Mandarin symbols for, so it is dropped with a debug log.
 *
 * pinyin-pro (and its dictionary) is imported on first use, not at worker start.
 */
import { debuglog } from 'node:util';
import type { G2pResult } from '../../src/shared/word-timing.ts';
import { numbersToHanziMapped, originalSpan } from './cjk-numbers.ts';
import { G2pBuilder, isMark } from './result-builder.ts';
import { syllableToKokoro } from './zh-pinyin.ts';

const debug = debuglog('kokoro-g2p');
const HAN = /\p{Script=Han}/u;

type PinyinPro = typeof import('pinyin-pro');
let library: Promise<PinyinPro> | undefined;

/** Words of `text` (all Han) with their pinyin, e.g. 银行 -> ['yin2', 'hang2']. */
async function segmentWords(text: string): Promise<Array<{ origin: string; syllables: string[] }>> {
  library ??= import('pinyin-pro');
  const { segment, OutputFormat } = await library;
  // No tone sandhi: upstream's v1.0 front end reads each syllable's own tone.
  const parts = segment(text, { format: OutputFormat.AllSegment, toneType: 'num', v: true, toneSandhi: false });
  // A word's syllables come joined ("yin2hang2"): each ends at its tone digit.
  return parts.map((p) => ({ origin: p.origin, syllables: p.result.match(/[a-zêüv]+[0-5]?/gu) ?? [] }));
}

export async function zhG2p(input: string): Promise<G2pResult> {
  // Digits become numerals first; G2pWord offsets are mapped back to the caller's text.
  const mapped = numbersToHanziMapped(input);
  const text = mapped.text;
  const out = new G2pBuilder('zh');
  let at = 0;
  const runs = text.matchAll(/\p{Script=Han}+/gu);
  for (const run of runs) {
    out.between(nonHan(text.slice(at, run.index)));
    let offset = run.index;
    for (const word of await segmentWords(run[0])) {
      const ipa = word.syllables.map((s) => syllableToKokoro(s) ?? '').join('');
      if (ipa === '') debug('zh: no pinyin for %j', word.origin);
      out.word(...originalSpan(mapped, offset, offset + word.origin.length), ipa);
      offset += word.origin.length;
    }
    at = run.index + run[0].length;
  }
  out.between(nonHan(text.slice(at)));
  return out.result();
}

/** Between Han runs only marks and spaces are read; other characters are dropped (logged). */
function nonHan(text: string): string {
  const kept = [...text].filter((ch) => /\s/u.test(ch) || isMark(ch) || HAN.test(ch));
  if (kept.length !== [...text].length) debug('zh: dropped characters without Mandarin symbols: %j', text);
  return kept.join('');
}
