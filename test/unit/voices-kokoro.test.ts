/**
 * The main thread's voice table (src/shared/voices.ts) is a copy of kokoro-js's, kept so
 * that validating a voice never loads kokoro-js onto the event loop's thread: this keeps
 * the copy equal to the original (ids, names, languages, genders, grades), and every voice
 * has its voice file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KokoroTTS } from 'kokoro-js';
import t from 'tap';
import { VOICES } from '../../src/shared/voices.ts';

interface KokoroVoice {
  name: string;
  language: string;
  gender: string;
  overallGrade: string;
}

t.test("the voice table equals kokoro-js's own", (t) => {
  // kokoro-js exposes its table only as an instance getter that reads no instance state.
  const getter = Object.getOwnPropertyDescriptor(KokoroTTS.prototype, 'voices')?.get;
  t.ok(getter, 'kokoro-js still has its voices getter');
  const theirs = (getter?.call({}) ?? {}) as Record<string, KokoroVoice>;
  t.same(Object.keys(VOICES).sort(), Object.keys(theirs).sort(), 'the same voice ids');
  for (const [id, v] of Object.entries(theirs)) {
    t.same(VOICES[id], { name: v.name, language: v.language, gender: v.gender.toLowerCase(), grade: v.overallGrade }, id);
  }
  t.end();
});

t.test('every voice has its voice file in kokoro-js', (t) => {
  // Where the worker reads them (workers/kokoro/voices.ts).
  const dir = fileURLToPath(new URL('../voices/', import.meta.resolve('kokoro-js')));
  for (const id of Object.keys(VOICES)) t.ok(existsSync(join(dir, `${id}.bin`)), `${id}.bin`);
  t.end();
});
