/**
 * The Aura -> Kokoro voice table and the Speak query: every English Aura model the
 * Deepgram SDK names is served by a catalogue voice of the same gender and nearest
 * accent, other languages are refused, and docs/deepgram.md shows the table as coded.
 */
import { readFileSync } from 'node:fs';
import { SpeakV1Model } from '@deepgram/sdk';
import t from 'tap';
import { auraModels, resolveModel } from '../../src/protocols/deepgram/aura-voices.ts';
import { parseDeepgramQuery } from '../../src/protocols/deepgram/query.ts';
import { VOICES } from '../../src/shared/voices.ts';

const LANGUAGE_OF_ACCENT = { american: 'en-us', filipino: 'en-us', british: 'en-gb', irish: 'en-gb', australian: 'en-gb' } as const;

t.test('every English Aura model of the SDK is served, and only English ones', (t) => {
  const sdkModels = Object.values(SpeakV1Model) as string[];
  const served = new Set(auraModels().map((a) => a.model));
  for (const model of sdkModels) {
    const resolved = resolveModel(model);
    if (model.endsWith('-en')) {
      t.ok(served.has(model) && resolved.ok, `${model} is served`);
    } else {
      t.notOk(resolved.ok, `${model} is refused (the catalogue speaks English only)`);
    }
  }
  t.end();
});

t.test('each Aura voice maps to a catalogue voice of its gender and nearest accent', (t) => {
  for (const a of auraModels()) {
    const voice = VOICES[a.kokoro];
    t.ok(voice, `${a.model} -> ${a.kokoro} exists`);
    t.equal(voice?.gender, a.gender, `${a.model}: gender`);
    t.equal(voice?.language, LANGUAGE_OF_ACCENT[a.accent], `${a.model}: ${a.accent} -> ${LANGUAGE_OF_ACCENT[a.accent]}`);
  }
  for (const model of ['aura-asteria-en', 'aura-2-thalia-en', 'aura-2-helena-en', 'aura-2-andromeda-en']) {
    t.same(resolveModel(model), { ok: true, voice: 'af_heart' }, `${model}, a client default, gets the best-graded voice`);
  }
  t.end();
});

t.test('model also takes Kokoro voices, mixes and OpenAI names; nothing else', (t) => {
  t.same(resolveModel('bf_emma'), { ok: true, voice: 'bf_emma' });
  t.same(resolveModel('af_bella(2)+af_sky'), { ok: true, voice: 'af_bella(2)+af_sky' });
  t.same(resolveModel('alloy'), { ok: true, voice: 'af_alloy' });
  t.same(resolveModel('AURA-2-THALIA-EN'), { ok: true, voice: 'af_heart' }, 'Aura names are case-insensitive');
  for (const bad of ['aura-2-nobody-en', 'aura-nobody-en', 'aura-2-thalia-fr', 'af_nobody', '../x', 'aura-2-']) t.notOk(resolveModel(bad).ok, bad);
  t.end();
});

t.test('query defaults follow Deepgram: linear16 at 24 kHz, telephony encodings at 8 kHz', (t) => {
  t.match(parseDeepgramQuery({}), { ok: true, settings: { voice: 'af_heart', encoding: 'linear16', sampleRate: 24000, speed: 1 } });
  t.match(parseDeepgramQuery({ encoding: 'mulaw' }), { ok: true, settings: { encoding: 'mulaw', sampleRate: 8000 } });
  t.match(parseDeepgramQuery({ encoding: 'ALAW', sample_rate: '16000' }), { ok: true, settings: { encoding: 'alaw', sampleRate: 16000 } });
  t.match(parseDeepgramQuery({ speed: '0.7', model: 'aura-2-draco-en' }), { ok: true, settings: { speed: 0.7, voice: 'bm_george', model: 'aura-2-draco-en' } });
  t.match(parseDeepgramQuery({ model: ['a', 'b'] }), { ok: false, fault: { code: 'invalid_voice', param: 'model' } }, 'a repeated model');
  t.match(parseDeepgramQuery({ sample_rate: '8000.0' }), { ok: false, fault: { code: 'invalid_format', param: 'sample_rate' } });
  t.match(parseDeepgramQuery({ speed: '0.4' }), { ok: false, fault: { code: 'invalid_speed', param: 'speed' } });
  t.end();
});

t.test('docs/deepgram.md lists every Aura model with its gender, accent and voice', (t) => {
  const doc = readFileSync(new URL('../../docs/deepgram.md', import.meta.url), 'utf8');
  for (const a of auraModels()) {
    t.ok(doc.includes(`| \`${a.model}\` | ${a.gender} | ${a.accent} | \`${a.kokoro}\` |`), `${a.model} row`);
  }
  t.end();
});
