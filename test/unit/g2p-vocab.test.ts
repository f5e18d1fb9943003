/**
 * Every symbol a front end emits is checked against Kokoro's vocab: unknown ones are dropped with
 * a debug log (NODE_DEBUG=kokoro-g2p), never sent, never a crash.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { G2pBuilder } from '../../workers/g2p/result-builder.ts';
import { keepKnownSymbols } from '../../workers/g2p/vocab-filter.ts';

t.test('symbols outside the vocab are dropped, known ones and spaces kept in order', (t) => {
  t.equal(keepKnownSymbols('aXb€ c̪d', 'es'), 'ab cd', 'X, € and the combining bridge are not in the vocab');
  t.equal(keepKnownSymbols('ʧˈao', 'it'), 'ʧˈao');
  t.end();
});

t.test('a word made only of unknown symbols leaves no span; offsets of later words stay right', (t) => {
  const b = new G2pBuilder('fr');
  b.word(0, 3, 'XX€');
  b.word(4, 7, 'bɔ̃');
  b.between('.');
  const r = b.result();
  t.equal(r.phonemes, 'bɔ̃.');
  t.same(r.words, [{ charStart: 4, charEnd: 7, phStart: 0, phEnd: 3 }]);
  t.end();
});

t.test('the drop is logged under NODE_DEBUG=kokoro-g2p', (t) => {
  const script = `import { keepKnownSymbols } from ${JSON.stringify(new URL('../../workers/g2p/vocab-filter.ts', import.meta.url).href)}; keepKnownSymbols('aXb', 'es');`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, NODE_DEBUG: 'kokoro-g2p' }, encoding: 'utf8' });
  t.equal(out.status, 0, out.stderr);
  t.match(out.stderr, /KOKORO-G2P \d+: es: dropped symbols outside the vocab: "X"/);
  t.end();
});
