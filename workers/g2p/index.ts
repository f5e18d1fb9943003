/**
 * Per-language G2P for the languages kokoro-js cannot phonemize (its espeak-ng build holds
 * English only): es fr hi it pt-br through espeak-ng, ja and zh through their own front
 * ends. Each front end and its data is imported on first use of its language, so a worker
 * that only ever speaks English loads none of them.
 */
import type { Language } from '../../src/shared/languages.ts';
import type { G2pResult } from '../../src/shared/word-timing.ts';
import { isEspeakLanguage } from './espeak-map.ts';

export type OtherLanguage = Exclude<Language, 'en-us' | 'en-gb'>;

export async function otherLanguageG2p(text: string, lang: OtherLanguage): Promise<G2pResult> {
  if (isEspeakLanguage(lang)) return (await import('./espeak-g2p.ts')).espeakG2p(text, lang);
  if (lang === 'ja') return (await import('./ja.ts')).jaG2p(text);
  return (await import('./zh.ts')).zhG2p(text);
}
