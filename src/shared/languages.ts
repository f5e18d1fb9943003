/**
 * Kokoro-82M v1.0's nine languages, shared by both threads: the language of each voice
 * (from its id's first letter, as Kokoro names them) and the `lang` a request may set.
 *
 * A request names a language either with Kokoro-FastAPI's `lang_code` letter or with a
 * BCP-47 tag; both resolve to one of the host's language ids below.
 */

export const LANGUAGES = ['en-us', 'en-gb', 'es', 'fr', 'hi', 'it', 'ja', 'pt-br', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Kokoro's `lang_code` letters (the first letter of every voice id). */
export const LANG_CODE_LETTERS: Readonly<Record<string, Language>> = Object.freeze({
  a: 'en-us',
  b: 'en-gb',
  e: 'es',
  f: 'fr',
  h: 'hi',
  i: 'it',
  j: 'ja',
  p: 'pt-br',
  z: 'zh',
});

/** BCP-47 tags (lower-cased) beyond the host's own ids; a bare language picks its only (or US/Brazilian) variant. */
const TAG_ALIASES: Readonly<Record<string, Language>> = Object.freeze({
  en: 'en-us',
  'en-au': 'en-gb',
  'en-ie': 'en-gb',
  'en-nz': 'en-gb',
  'en-uk': 'en-gb',
  'es-es': 'es',
  'es-mx': 'es',
  'es-419': 'es',
  'fr-fr': 'fr',
  'fr-ca': 'fr',
  'fr-be': 'fr',
  'fr-ch': 'fr',
  'hi-in': 'hi',
  'it-it': 'it',
  'ja-jp': 'ja',
  pt: 'pt-br',
  'pt-pt': 'pt-br',
  zh: 'zh',
  'zh-cn': 'zh',
  'zh-hans': 'zh',
  'zh-hans-cn': 'zh',
  'zh-sg': 'zh',
  'zh-tw': 'zh',
  'zh-hant': 'zh',
  cmn: 'zh',
  'cmn-cn': 'zh',
});

export type LanguageParse = { ok: true; lang: Language } | { ok: false; message: string };

/** `a`, `en-US`, `pt_BR`, `zh-Hans` … -> the host's language id; anything else is an error. */
export function parseLanguage(value: unknown): LanguageParse {
  const accepted = 'a language: one of the lang_code letters a b e f h i j p z, or a tag such as en-US, en-GB, es, fr, hi, it, ja, pt-BR, zh';
  if (typeof value !== 'string' || value.length === 0 || value.length > 20) return { ok: false, message: `lang must be ${accepted}` };
  const key = value.trim().toLowerCase().replaceAll('_', '-');
  const lang = Object.hasOwn(LANG_CODE_LETTERS, key) ? LANG_CODE_LETTERS[key] : (LANGUAGES as readonly string[]).includes(key) ? (key as Language) : TAG_ALIASES[key];
  return lang === undefined ? { ok: false, message: `unknown lang "${value.slice(0, 20)}": expected ${accepted}` } : { ok: true, lang };
}

/** A voice id's language, from its first letter (`ef_dora` -> es); undefined for a malformed id. */
export function languageOfVoiceId(id: string): Language | undefined {
  return LANG_CODE_LETTERS[id.charAt(0)];
}

/** Whether text in `lang` is written without spaces between words (phrase marks, token estimate). */
export function isCjk(lang: Language): boolean {
  return lang === 'ja' || lang === 'zh';
}
