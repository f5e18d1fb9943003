/**
 * English pre-normaliser: runs before kokoro-js's own normalisation (workers/kokoro/
 * phonemize.ts) and rewrites only what that gets wrong. Measured (test/unit/normalize-en.test.ts
 * holds the table): kokoro-js reads money in $ and £, percentages, years, clock times,
 * ordinals, thousands separators and numeric ranges well; it reads "555-123-4567" as a
 * range ("five hundred fifty five to one hundred..."), "2024-01-15" as two ranges, €, units,
 * URLs and e-mail addresses as letter soup, and "e.g.", "i.e.", "vs.", "St.", "Jr." letter
 * by letter with a sentence stop after them.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ORDINAL_WORDS = ['', 'first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth', 'nineteenth', 'twentieth'];
const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** A day of the month as an ordinal espeak-ng reads right ("15th", "21st"). */
function dayOrdinal(day: number): string {
  if (day <= 20) return ORDINAL_WORDS[day]!;
  const last = day % 10;
  const tens = day < 30 ? 'twenty' : 'thirty';
  return last === 0 ? (day === 30 ? 'thirtieth' : 'twentieth') : `${tens} ${ORDINAL_WORDS[last]}`;
}

function date(year: string, month: string, day: string): string | null {
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  return `${MONTHS[m - 1]} ${dayOrdinal(d)}, ${year}`;
}

function spellDigits(digits: string): string {
  return [...digits].map((d) => DIGIT_WORDS[Number(d)]).join(' ');
}

/** Units after a number: symbol -> (singular, plural). */
const UNITS: ReadonlyMap<string, [string, string]> = new Map([
  ['km', ['kilometer', 'kilometers']], ['m', ['meter', 'meters']], ['cm', ['centimeter', 'centimeters']], ['mm', ['millimeter', 'millimeters']],
  ['mi', ['mile', 'miles']], ['ft', ['foot', 'feet']], ['in', ['inch', 'inches']],
  ['kg', ['kilogram', 'kilograms']], ['g', ['gram', 'grams']], ['mg', ['milligram', 'milligrams']], ['lb', ['pound', 'pounds']], ['lbs', ['pound', 'pounds']], ['oz', ['ounce', 'ounces']],
  ['ml', ['milliliter', 'milliliters']], ['l', ['liter', 'liters']],
  ['mph', ['mile per hour', 'miles per hour']], ['km/h', ['kilometer per hour', 'kilometers per hour']], ['kph', ['kilometer per hour', 'kilometers per hour']],
  ['kb', ['kilobyte', 'kilobytes']], ['mb', ['megabyte', 'megabytes']], ['gb', ['gigabyte', 'gigabytes']], ['tb', ['terabyte', 'terabytes']],
  ['ms', ['millisecond', 'milliseconds']], ['°c', ['degree Celsius', 'degrees Celsius']], ['°f', ['degree Fahrenheit', 'degrees Fahrenheit']],
]);
/** "in", "m", "g", "l" are words too: only after a number and before a non-letter are they units. */
const UNIT_RE = /(?<![\w.])(\d+(?:[.,]\d+)?) ?(km\/h|kph|mph|km|cm|mm|mi|ft|in|kg|mg|lbs|lb|oz|ml|kb|mb|gb|tb|ms|°[CF]|m|g|l)(?![\p{L}\d])/giu;

const ABBREVIATIONS: ReadonlyArray<[RegExp, string]> = [
  [/\be\.g\.(?=\s|$)/gi, 'for example'],
  [/\bi\.e\.(?=\s|$)/gi, 'that is'],
  [/\bvs\.(?=\s|$)/gi, 'versus'],
  [/\bapprox\.(?=\s|$)/gi, 'approximately'],
  [/\bJr\.(?=\s|$)/g, 'Junior'],
  [/\bSr\.(?=\s|$)/g, 'Senior'],
  [/\bProf\.(?=\s)/g, 'Professor'],
  [/\bMt\.(?=\s[A-Z])/g, 'Mount'],
  [/\bSt\.(?=\s[A-Z])/g, 'Saint'],
  [/(?<=[A-Z][a-z]+ )St\.(?=\s|$)/g, 'Street'],
  [/\bAve\.(?=\s|$)/g, 'Avenue'],
  [/\bNo\.(?=\s?\d)/g, 'number'],
];

/** Host names and paths, read out: "example dot com slash docs". */
function readAddress(address: string): string {
  return address
    .replace(/\/+$/, '')
    .replace(/^www\./i, 'w w w.')
    .replace(/\./g, ' dot ')
    .replace(/\//g, ' slash ')
    .replace(/-/g, ' dash ')
    .replace(/_/g, ' underscore ')
    .replace(/ +/g, ' ')
    .trim();
}

export function normalizeEnglish(text: string): string {
  let out = text
      // E-mail addresses and URLs first: their dots and dashes are no sentence ends nor ranges.
      .replace(/\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b/g, (_m, user: string, host: string) => `${readAddress(user)} at ${readAddress(host)}`)
      .replace(/\bhttps?:\/\/([\w-]+(?:\.[\w-]+)*(?:\/(?:[\w./%-]*[\w/%-])?)?)/gi, (_m, rest: string) => readAddress(rest))
      .replace(/\bwww\.[\w-]+(?:\.[\w-]+)+(?:\/(?:[\w./%-]*[\w/%-])?)?/gi, (m) => readAddress(m))
      // Phone numbers before ranges: "555-123-4567", "(555) 123-4567", "+1 555 123 4567".
      .replace(/(?<![\w-])(?:\+?(1)[ .-]?)?\(?(\d{3})\)?[ .-](\d{3})[ .-](\d{4})(?![\w-])/g, (_m, cc: string | undefined, a: string, b: string, c: string) =>
        `${cc !== undefined ? 'one, ' : ''}${spellDigits(a)}, ${spellDigits(b)}, ${spellDigits(c)}`)
      // Dates: ISO "2024-01-15" and US "01/15/2024".
      .replace(/\b(\d{4})-(\d{2})-(\d{2})\b/g, (m, y: string, mo: string, d: string) => date(y, mo, d) ?? m)
      .replace(/\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/g, (m, mo: string, d: string, y: string) => date(y, mo, d) ?? m)
      // Euros: kokoro-js knows $ and £ only.
      .replace(/€ ?(\d+(?:[.,]\d+)?)/g, (_m, n: string) => `${n} ${n === '1' ? 'euro' : 'euros'}`)
      .replace(UNIT_RE, (m, n: string, unit: string) => {
        const names = UNITS.get(unit.toLowerCase());
        return names === undefined ? m : `${n} ${n === '1' ? names[0] : names[1]}`;
      })
      .replace(/\b(\d{1,2}) ?([ap])(?:\.m\.|m\b)/gi, (_m, h: string, ap: string) => `${h} ${ap.toUpperCase()}M`);
  for (const [re, words] of ABBREVIATIONS) out = out.replace(re, words);
  return out;
}
