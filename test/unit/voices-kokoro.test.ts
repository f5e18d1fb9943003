/**
 * The main thread's voice table (src/shared/voices.ts) is a copy of kokoro-js's, kept so
 * that validating a voice never loads kokoro-js onto the event loop's thread: this keeps
 * the English rows equal to the original (ids, names, languages, genders, grades); the table
 * holds every voice file kokoro-js ships (54), each with the language its id's letter names.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KokoroTTS } from 'kokoro-js';
import t from 'tap';
import { languageOfVoiceId } from '../../src/shared/languages.ts';
import { VOICES } from '../../src/shared/voices.ts';

interface KokoroVoice {
  name: string;
  language: string;
  gender: string;
  overallGrade: string;
}

t.test("the English rows equal kokoro-js's own table", (t) => {
  // kokoro-js exposes its table only as an instance getter that reads no instance state.
  const getter = Object.getOwnPropertyDescriptor(KokoroTTS.prototype, 'voices')?.get;
  t.ok(getter, 'kokoro-js still has its voices getter');
  const theirs = (getter?.call({}) ?? {}) as Record<string, KokoroVoice>;
  const english = Object.keys(VOICES).filter((id) => VOICES[id]!.language.startsWith('en-'));
  t.same(english.sort(), Object.keys(theirs).sort(), 'the same English voice ids');
  for (const [id, v] of Object.entries(theirs)) {
    t.same(VOICES[id], { name: v.name, language: v.language, gender: v.gender.toLowerCase(), grade: v.overallGrade }, id);
  }
  t.end();
});

t.test('every voice file kokoro-js ships is in the table, and every voice has its file', (t) => {
  // Where the worker reads them (workers/kokoro/voices.ts).
  const dir = fileURLToPath(new URL('../voices/', import.meta.resolve('kokoro-js')));
  for (const id of Object.keys(VOICES)) t.ok(existsSync(join(dir, `${id}.bin`)), `${id}.bin`);
  const shipped = readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4));
  t.same(Object.keys(VOICES).sort(), shipped.sort(), 'the table lists exactly the shipped voice files');
  t.equal(Object.keys(VOICES).length, 54, "Kokoro-82M v1.0's 54 voices");
  t.end();
});

t.test("each voice's language is the one its id's first letter names", (t) => {
  const perLanguage: Record<string, number> = {};
  for (const [id, v] of Object.entries(VOICES)) {
    t.equal(v.language, languageOfVoiceId(id), id);
    perLanguage[v.language] = (perLanguage[v.language] ?? 0) + 1;
  }
  t.same(perLanguage, { 'en-us': 20, 'en-gb': 8, es: 3, fr: 1, hi: 4, it: 2, ja: 5, 'pt-br': 3, zh: 8 }, 'voices per language (VOICES.md)');
  t.end();
});
