/** `lang` as requests write it: Kokoro-FastAPI's lang_code letters and BCP-47 tags, and every bad value refused. */
import t from 'tap';
import { LANGUAGES, languageOfVoiceId, parseLanguage } from '../../src/shared/languages.ts';

t.test('lang_code letters and BCP-47 tags resolve to the nine languages', (t) => {
  const table: Array<[string, string]> = [
    ['a', 'en-us'], ['b', 'en-gb'], ['e', 'es'], ['f', 'fr'], ['h', 'hi'], ['i', 'it'], ['j', 'ja'], ['p', 'pt-br'], ['z', 'zh'],
    ['en-US', 'en-us'], ['en', 'en-us'], ['en_GB', 'en-gb'], ['EN-au', 'en-gb'], ['es-MX', 'es'], ['fr-CA', 'fr'], ['hi-IN', 'hi'],
    ['it', 'it'], ['ja-JP', 'ja'], ['pt', 'pt-br'], ['pt-BR', 'pt-br'], ['zh-Hans', 'zh'], ['zh-CN', 'zh'], ['cmn', 'zh'], [' es ', 'es'],
  ];
  for (const [value, lang] of table) t.same(parseLanguage(value), { ok: true, lang }, value);
  for (const lang of LANGUAGES) t.same(parseLanguage(lang), { ok: true, lang }, `${lang} is its own tag`);
  t.end();
});

t.test('anything else is refused with a message naming what is accepted', (t) => {
  for (const value of ['', 'de', 'q', 'english', 'zh-XX-YY', 'x'.repeat(200), 5, null, ['es'], { lang: 'es' }, undefined]) {
    const r = parseLanguage(value);
    t.equal(r.ok, false, JSON.stringify(value) ?? 'undefined');
    if (!r.ok) t.match(r.message, /lang_code letters a b e f h i j p z/);
  }
  t.end();
});

t.test("a voice id's first letter is its language", (t) => {
  t.equal(languageOfVoiceId('ef_dora'), 'es');
  t.equal(languageOfVoiceId('zm_yunxi'), 'zh');
  t.equal(languageOfVoiceId('xx_nobody'), undefined);
  t.end();
});
