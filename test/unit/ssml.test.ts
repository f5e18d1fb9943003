/**
 * The SSML subset (src/pronunciation/ssml.ts) on its own: what each element becomes, how
 * rates nest, and that comments, entities and whitespace pass as XML says.
 */
import t from 'tap';
import { isSsml, ssmlToRuns } from '../../src/pronunciation/ssml.ts';

t.test('only an input starting with <speak> is SSML', async (t) => {
  t.ok(isSsml('<speak>hi</speak>'));
  t.ok(isSsml('  <speak version="1.1">hi</speak>'));
  t.notOk(isSsml('Say <speak> aloud'));
  t.notOk(isSsml('<speaker>hi</speaker>'));
});

t.test('elements become inline markup', async (t) => {
  const text = (ssml: string) => ssmlToRuns(ssml).map((r) => r.text).join('|');
  t.equal(text('<speak>a<break time="1.5s"/>b</speak>'), 'a [pause:1.5s] b');
  t.equal(text('<speak>a<break time="250ms"/>b</speak>'), 'a [pause:0.25s] b');
  t.equal(text('<speak>a<break strength="strong"/>b</speak>'), 'a [pause:0.7s] b');
  t.equal(text('<speak><phoneme alphabet="ipa" ph="kˈOkəɹO">Kokoro</phoneme></speak>'), '[Kokoro](/kˈOkəɹO/)');
  t.equal(text('<speak><sub alias="Doctor">Dr.</sub> Who</speak>'), 'Doctor Who');
  t.equal(text('<speak><say-as interpret-as="spell-out">a b c</say-as></speak>'), 'a b c');
  t.equal(text('<speak><say-as interpret-as="telephone">+1 (555) 010-0199</say-as></speak>'), '1, 5 5 5, 0 1 0, 0 1 9 9');
  t.equal(text('<speak>Tom &amp; Jerry &lt;3 &#x263A;<!-- a comment --></speak>'), 'Tom & Jerry <3 ☺');
  t.equal(text('<speak><p><s>One.</s><s>Two.</s></p></speak>'), 'One.\nTwo.\n\n');
});

t.test('prosody rates nest and split the input into runs', async (t) => {
  const runs = ssmlToRuns('<speak>a <prosody rate="50%">b <prosody rate="x-fast">c</prosody> d</prosody> e</speak>');
  t.same(runs, [
    { text: 'a ', rate: 1 },
    { text: 'b ', rate: 0.5 },
    { text: 'c', rate: 0.75 },
    { text: ' d', rate: 0.5 },
    { text: ' e', rate: 1 },
  ]);
});

t.test('malformed or unsupported SSML throws SsmlError', async (t) => {
  for (const bad of ['<speak>a', '<speak>a</p></speak>', '<speak><audio src="x"/></speak>', '<speak><break time="2s" foo="1"/></speak>', '<speak><sub alias="x"><break time="1s"/></sub></speak>', '<speak>a <b</speak>', '<speak><break time="20s"/></speak>', 'text<speak>a</speak>']) {
    t.throws(() => ssmlToRuns(bad), { name: 'SsmlError' }, bad);
  }
});
