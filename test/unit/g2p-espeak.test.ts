/**
 * es, fr, hi, it and pt-br: the worker's G2P (espeak-ng's WebAssembly build, mapped to Kokoro's
 * symbols) must say what Debian's espeak-ng command line says for the same words, after the same
 * mapping. One G2P call per language reads the list as one comma-separated text, so the test
 * also checks that pieces between marks are put back in order with their marks.
 * Needs espeak-ng (.ci/run installs it); without it this fails, unless KOKORO_ALLOW_MISSING_TOOLS=1.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { ESPEAK_VOICES, espeakToKokoro, type EspeakLanguage } from '../../workers/g2p/espeak-map.ts';
import { espeakG2p } from '../../workers/g2p/espeak-g2p.ts';
import { keepKnownSymbols } from '../../workers/g2p/vocab-filter.ts';
import { VOCAB } from '../../workers/kokoro/tokenizer.ts';
import { missingTool, toolTestOptions } from '../../harness/host-process.ts';

const WORDS: Record<EspeakLanguage, string[]> = {
  es: ['hola', 'perro', 'rápidamente', 'corazón', 'España', 'jamón', 'guitarra', 'lluvia', 'niño', 'ciudad', 'hoy', 'veintiuno'],
  fr: ['bonjour', 'heureux', 'maison', 'oiseau', 'champagne', 'grenouille', 'fenêtre', 'cœur', 'pain', 'vingt', 'aujourd’hui', 'loi'],
  hi: ['नमस्ते', 'दुनिया', 'भारत', 'पानी', 'किताब', 'धन्यवाद', 'हिंदी', 'ख़ुश', 'बच्चा', 'घर', 'रात', 'सच'],
  it: ['ciao', 'grazie', 'bellissimo', 'giorno', 'famiglia', 'zucchero', 'pizza', 'gnocchi', 'scienza', 'città', 'perché', 'sei'],
  'pt-br': ['olá', 'coração', 'pão', 'obrigado', 'cidade', 'trabalho', 'feijão', 'mãe', 'chuva', 'leite', 'muito', 'noite'],
};

/** Debian's espeak-ng, one word a line (read separately: one output line each), same options as the worker. */
function commandLine(words: readonly string[], voice: string): string[] {
  const out = spawnSync('espeak-ng', ['-q', '--ipa', '--tie=^', '-v', voice], { input: words.join('\n') + '\n', encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`espeak-ng exited ${out.status}: ${out.stderr}`);
  return out.stdout.split('\n').filter((l) => l.trim() !== '');
}

for (const lang of Object.keys(WORDS) as EspeakLanguage[]) {
  t.test(`${lang}: the worker's G2P says what espeak-ng's command line says`, toolTestOptions('espeak-ng'), async (t) => {
    const missing = missingTool('espeak-ng');
    if (missing !== null) {
      t.fail(missing);
      return;
    }
    const words = WORDS[lang];
    const cli = commandLine(words, ESPEAK_VOICES[lang]);
    t.equal(cli.length, words.length, 'one line per word from the command line');
    const expected = cli.map((ipa) => keepKnownSymbols(espeakToKokoro(ipa).trim(), lang)).join(', ');
    const ours = await espeakG2p(words.join(', '), lang);
    t.equal(ours.phonemes, expected, words.join(' '));
    t.equal(ours.words.length, words.length, 'one word span per word');
    for (const [i, w] of ours.words.entries()) {
      t.equal(words.join(', ').slice(w.charStart, w.charEnd), words[i], `span ${i} is the word "${words[i]}"`);
    }
    for (const ch of ours.phonemes) if (!VOCAB.has(ch)) t.fail(`symbol ${JSON.stringify(ch)} is not in the vocab`);
  });
}

t.test('the mapping: tied diphthongs and affricates become single symbols; ties, hyphens and language flags go', (t) => {
  t.equal(espeakToKokoro('t^ʃˈao'), 'ʧˈao');
  t.equal(espeakToKokoro('βe^ɪntˈe'), 'βAntˈe');
  t.equal(espeakToKokoro('ɡrˈat^sje'), 'ɡrˈaʦje');
  t.equal(espeakToKokoro('d^ʒˈorno'), 'ʤˈorno');
  t.equal(espeakToKokoro('pˈɐ̃^ʊ̃'), 'pˈɐ̃ʊ̃', 'a tied pair Kokoro has no symbol for keeps both symbols');
  t.equal(espeakToKokoro('le-z amˈi'), 'lez amˈi');
  t.equal(espeakToKokoro('(en)hˈɛlə‍(hi)'), 'hˈɛlə‍', 'language-switch flags are removed');
  t.end();
});

t.test('numbers with a decimal comma stay one piece; punctuation marks are kept as Kokoro marks', async (t) => {
  const r = await espeakG2p('¿Tienes 3,5 euros? ¡Sí!', 'es');
  t.notOk(r.phonemes.includes('¿') || r.phonemes.includes('¡'), 'inverted marks (not in the vocab) are dropped');
  t.match(r.phonemes, /\? .*!$/u, 'the question and exclamation marks are kept, in order');
  t.match(r.phonemes, /tɾˈes koma θˈinko|tɾˈes kˈoma θˈinko/u, '3,5 is read as one number');
});
