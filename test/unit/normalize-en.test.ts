/**
 * English normalisation against a table of hard cases. Each row: the input, how it should
 * be read (written so espeak-ng reads it unambiguously), and whether kokoro-js's own
 * normalisation gets it right today (measured; kokoro-js is pinned). The host's reading
 * (workers/normalize-en.ts, then kokoro-js) must give the same phonemes as the spoken form.
 */
import t from 'tap';
import { phonemize } from '../../workers/kokoro/phonemize.ts';
import { textPhonemes } from '../../workers/pronounce.ts';

const TABLE: ReadonlyArray<[input: string, spoken: string, kokoroJsToday: boolean]> = [
  ['It costs $5.50.', 'It costs five dollars and fifty cents.', true],
  ['It costs £3.', 'It costs three pounds.', true],
  ['It costs €20.', 'It costs twenty euros.', false],
  ['Growth was 15%.', 'Growth was fifteen percent.', true],
  ['We have 1,234,567 users.', 'We have one million two hundred thirty four thousand five hundred sixty seven users.', true],
  ['In 1999 we left.', 'In nineteen ninety nine we left.', true],
  ['Pages 10-20.', 'Pages ten to twenty.', true],
  ['Born on 2024-01-15.', 'Born on January fifteenth, twenty twenty four.', false],
  ['Due 01/15/2024.', 'Due January fifteenth, twenty twenty four.', false],
  ['We met on March 3rd.', 'We met on March third.', true],
  ['The 21st century.', 'The twenty first century.', true],
  ['He came 2nd.', 'He came second.', true],
  ['Meet at 3:30 pm.', 'Meet at three thirty PM.', true],
  ['Meet at 7am.', 'Meet at seven AM.', true],
  ['It is 5 km away.', 'It is five kilometers away.', false],
  ['It weighs 10 kg.', 'It weighs ten kilograms.', false],
  ['Drive at 60 mph.', 'Drive at sixty miles per hour.', false],
  ['It is 25°C outside.', 'It is twenty five degrees Celsius outside.', false],
  ['Call 555-123-4567.', 'Call five five five, one two three, four five six seven.', false],
  ['Call (555) 123-4567.', 'Call five five five, one two three, four five six seven.', false],
  ['Visit https://example.com/docs.', 'Visit example dot com slash docs.', false],
  ['Visit www.example.org.', 'Visit w w w dot example dot org.', false],
  ['Mail john.doe@example.com.', 'Mail john dot doe at example dot com.', false],
  ['Bring fruit, e.g. apples.', 'Bring fruit, for example apples.', false],
  ['One thing, i.e. this.', 'One thing, that is this.', false],
  ['Cats vs. dogs.', 'Cats versus dogs.', false],
  ['Dr. Smith is here.', 'Doctor Smith is here.', true],
  ['He lives on Main St. now.', 'He lives on Main Street now.', false],
  ['Martin Luther King Jr. spoke.', 'Martin Luther King Junior spoke.', false],
];

t.test('every hard case reads as its spoken form', async (t) => {
  for (const [input, spoken] of TABLE) {
    t.equal(await textPhonemes(input, 'af_heart'), await phonemize(spoken, 'af_heart'), input);
  }
});

t.test('what kokoro-js alone reads right today (the reason for each pre-normalised row)', async (t) => {
  for (const [input, spoken, today] of TABLE) {
    t.equal((await phonemize(input, 'af_heart')) === (await phonemize(spoken, 'af_heart')), today, input);
  }
});

t.test('words that look like units or abbreviations stay words', async (t) => {
  for (const text of ['I am in the garden.', 'A 5 gallon drum.', 'Go to St. Louis.', 'Item No. 5 is mine.']) {
    const got = await textPhonemes(text, 'af_heart');
    t.ok(got.length > 0, text);
  }
  t.equal(await textPhonemes('I am in the garden.', 'af_heart'), await phonemize('I am in the garden.', 'af_heart'), 'no number before "in": not inches');
  t.equal(await textPhonemes('Go to St. Louis.', 'af_heart'), await phonemize('Go to Saint Louis.', 'af_heart'));
  t.equal(await textPhonemes('Item No. 5 is mine.', 'af_heart'), await phonemize('Item number 5 is mine.', 'af_heart'));
});
