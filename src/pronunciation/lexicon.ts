/**
 * The user's lexicon (KOKORO_LEXICON): a JSON file of word -> Kokoro phonemes per language,
 *
 *   { "a": { "Kokoro": "kˈOkəɹO", "nginx": "ˈɛnʤɪnˈɛks" }, "en-gb": { "tomato": "təmˈɑːtəʊ" } }
 *
 * keyed by Kokoro's language letters (a b e f h i j p z) or their BCP-47 tags. A word
 * matches as written, else in lower case. It is read at start (a bad file stops the host
 * with invalid_lexicon) and again on SIGHUP (a bad file then keeps the old lexicon, with a
 * warning). Entries become inline phoneme tags (src/shared/markup.ts) on each chunk's way
 * to synthesis, so the worker needs no copy and a reload reaches every worker at once.
 */
import { readFileSync } from 'node:fs';
import { TtsError } from '../errors.ts';
import { phonemeTag, splitTags } from '../shared/markup.ts';
import { phonemeProblem } from './vocab.ts';

const LANGS: Readonly<Record<string, string>> = {
  a: 'a', 'en-us': 'a', en: 'a', b: 'b', 'en-gb': 'b', e: 'e', es: 'e', f: 'f', fr: 'f', 'fr-fr': 'f', h: 'h', hi: 'h',
  i: 'i', it: 'i', j: 'j', ja: 'j', p: 'p', 'pt-br': 'p', pt: 'p', z: 'z', zh: 'z', 'zh-cn': 'z', cmn: 'z',
};
const WORD = /\p{L}[\p{L}\p{M}\p{N}'’-]*/gu;

export type LexiconTable = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** The language letter of a voice id or mix ("af_heart", "bf_emma+bm_george" -> "a", "b"). */
export function voiceLang(voice: string): string {
  return voice.trimStart()[0]?.toLowerCase() ?? 'a';
}

export function parseLexicon(json: string): LexiconTable {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new TtsError('invalid_lexicon', `not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TtsError('invalid_lexicon', 'the lexicon must be an object of languages');
  const table = new Map<string, Map<string, string>>();
  for (const [langKey, words] of Object.entries(raw)) {
    const lang = LANGS[langKey.toLowerCase()];
    if (lang === undefined) throw new TtsError('invalid_lexicon', `unknown language ${JSON.stringify(langKey)}: use ${Object.keys(LANGS).join(', ')}`);
    if (typeof words !== 'object' || words === null || Array.isArray(words)) throw new TtsError('invalid_lexicon', `${langKey}: must be an object of word -> phonemes`);
    const entries = table.get(lang) ?? new Map<string, string>();
    for (const [word, phonemes] of Object.entries(words as Record<string, unknown>)) {
      if (!/^\p{L}[\p{L}\p{M}\p{N}'’-]*$/u.test(word)) throw new TtsError('invalid_lexicon', `${langKey}: ${JSON.stringify(word)} is not one word`);
      if (typeof phonemes !== 'string') throw new TtsError('invalid_lexicon', `${langKey}.${word}: phonemes must be a string`);
      const problem = phonemeProblem(phonemes);
      if (problem !== null) throw new TtsError('invalid_lexicon', `${langKey}.${word}: ${problem}`);
      entries.set(word, phonemes);
    }
    table.set(lang, entries);
  }
  return table;
}

export interface LexiconLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class Lexicon {
  readonly path: string;
  #table: LexiconTable;

  /** Throws TtsError invalid_lexicon when the file cannot be read or is malformed. */
  constructor(path: string) {
    this.path = path;
    this.#table = Lexicon.#read(path);
  }

  static #read(path: string): LexiconTable {
    let json: string;
    try {
      json = readFileSync(path, 'utf8');
    } catch (err) {
      throw new TtsError('invalid_lexicon', `cannot read ${path}: ${(err as Error).message}`);
    }
    return parseLexicon(json);
  }

  get size(): number {
    let n = 0;
    for (const words of this.#table.values()) n += words.size;
    return n;
  }

  /** Reads the file again; a bad file keeps the lexicon in use. Returns whether it changed. */
  reload(log: LexiconLog): boolean {
    try {
      this.#table = Lexicon.#read(this.path);
      log.info({ path: this.path, entries: this.size }, 'lexicon reloaded');
      return true;
    } catch (err) {
      log.warn({ path: this.path, code: 'invalid_lexicon', reason: (err as Error).message, entries: this.size }, 'lexicon not reloaded: keeping the old one');
      return false;
    }
  }

  /** `text` with each lexicon word of the voice's language made an inline phoneme tag; tags already there are left alone. */
  apply(text: string, voice: string): string {
    const words = this.#table.get(voiceLang(voice));
    if (words === undefined || words.size === 0) return text;
    return splitTags(text)
      .map((run) =>
        run.tag
          ? run.text
          : run.text.replace(WORD, (w) => {
              const phonemes = words.get(w) ?? words.get(w.toLowerCase());
              return phonemes === undefined ? w : phonemeTag(w, phonemes);
            }),
      )
      .join('');
  }
}
