/**
 * The SSML subset the speech route takes when the input starts with `<speak>`, turned into
 * the host's inline markup (src/shared/markup.ts), in runs of one speaking rate:
 *
 *   <break time="500ms"/> <break time="1s"/>   [pause:0.5s]          (strength= also: none..x-strong)
 *   <phoneme ph="kˈOkəɹO">Kokoro</phoneme>     [Kokoro](/kˈOkəɹO/)   (Kokoro's phonemes; alphabet ipa or kokoro)
 *   <sub alias="World Wide Web">WWW</sub>      World Wide Web
 *   <say-as interpret-as="characters">ABC</say-as>   A B C   (also spell-out)
 *   <say-as interpret-as="cardinal">12,345</say-as>  12345   (also number)
 *   <say-as interpret-as="telephone">555-0100</say-as>  5 5 5, 0 1 0 0
 *   <prosody rate="slow|fast|80%|1.2">…</prosody>   a run at that rate (times the request's speed)
 *   <p>, <s>                                   sentence breaks
 *
 * Anything else (another element or attribute, a tag left open, text after </speak>) is
 * an SsmlError: the route answers invalid_ssml and queues nothing.
 */
import { MAX_PAUSE_SECONDS } from '../shared/markup.ts';
import { phonemeProblem } from './vocab.ts';

export class SsmlError extends Error {
  override name = 'SsmlError';
}

export interface SsmlRun {
  text: string;
  /** Multiplies the request's speed. */
  rate: number;
}

const TOKEN = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<[^>]*>?|[^<]+/g;
const ATTR = /([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const STRENGTH: Readonly<Record<string, number>> = { none: 0, 'x-weak': 0.1, weak: 0.2, medium: 0.4, strong: 0.7, 'x-strong': 1.2 };
const RATES: Readonly<Record<string, number>> = { 'x-slow': 0.6, slow: 0.8, medium: 1, default: 1, fast: 1.25, 'x-fast': 1.5 };
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  speak: ['version', 'xmlns', 'xml:lang', 'lang'],
  break: ['time', 'strength'],
  phoneme: ['ph', 'alphabet'],
  sub: ['alias'],
  'say-as': ['interpret-as', 'format', 'detail'],
  prosody: ['rate'],
  p: [],
  s: [],
};

export function isSsml(input: string): boolean {
  return /^\s*<speak[\s>]/.test(input);
}

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    const ch = ENTITIES[e];
    if (ch === undefined) throw new SsmlError(`unknown entity ${m}`);
    return ch;
  });
}

function seconds(time: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/.exec(time);
  if (m === null) throw new SsmlError(`break time ${JSON.stringify(time)}: write 500ms or 1.5s`);
  const s = m[2] === 'ms' ? Number(m[1]) / 1000 : Number(m[1]);
  if (s > MAX_PAUSE_SECONDS) throw new SsmlError(`a break may last at most ${MAX_PAUSE_SECONDS} s`);
  return s;
}

function rateOf(rate: string): number {
  const named = RATES[rate];
  if (named !== undefined) return named;
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(rate);
  const r = pct !== null ? Number(pct[1]) / 100 : /^\d+(?:\.\d+)?$/.test(rate) ? Number(rate) : NaN;
  if (!(r >= 0.25 && r <= 4)) throw new SsmlError(`prosody rate ${JSON.stringify(rate)}: x-slow..x-fast, a percentage or a factor, 0.25 to 4`);
  return r;
}

function sayAs(kind: string, text: string): string {
  switch (kind) {
    case 'characters':
    case 'spell-out':
      return [...text.replace(/\s+/g, '')].join(' ');
    case 'cardinal':
    case 'number':
      if (!/^[+-]?[\d,. ]+$/.test(text.trim())) throw new SsmlError(`say-as cardinal: ${JSON.stringify(text)} is not a number`);
      return text.trim().replace(/[, ]/g, '');
    case 'telephone':
      return text.split(/[^\d+]+/).filter((g) => g !== '').map((g) => [...g.replace('+', '')].join(' ')).join(', ');
    default:
      throw new SsmlError(`say-as interpret-as="${kind}" is not supported (characters, spell-out, cardinal, number, telephone)`);
  }
}

interface Open {
  name: string;
  attrs: Record<string, string>;
  /** Text inside this element, for the elements that rewrite their content. */
  inner: string[];
  rate: number;
}

/** SSML -> runs of inline-markup text; throws SsmlError. */
export function ssmlToRuns(input: string): SsmlRun[] {
  const runs: SsmlRun[] = [];
  const stack: Open[] = [];
  let ended = false;
  const emit = (text: string) => {
    const top = stack.at(-1);
    if (top === undefined) throw new SsmlError('content outside <speak>');
    if (['phoneme', 'sub', 'say-as'].includes(top.name)) return void top.inner.push(text);
    const last = runs.at(-1);
    if (last !== undefined && last.rate === top.rate) last.text += text;
    else runs.push({ text, rate: top.rate });
  };
  for (const m of input.trim().matchAll(TOKEN)) {
    const [whole, closing, rawName, attrText, selfClosing] = m;
    if (whole.startsWith('<!--')) continue;
    if (rawName === undefined) {
      if (whole.startsWith('<')) throw new SsmlError(`malformed tag ${JSON.stringify(whole.slice(0, 40))}`);
      if (ended) {
        if (whole.trim() !== '') throw new SsmlError('text after </speak>');
        continue;
      }
      emit(decode(whole));
      continue;
    }
    const name = rawName.toLowerCase();
    const allowed = ALLOWED[name];
    if (allowed === undefined) throw new SsmlError(`<${rawName}> is not supported`);
    if (ended) throw new SsmlError('elements after </speak>');
    if (closing === '/') {
      const open = stack.pop();
      if (open?.name !== name) throw new SsmlError(`</${name}> closes ${open === undefined ? 'nothing' : `<${open.name}>`}`);
      closeElement(open, emit);
      if (name === 'speak') ended = true;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (attrText ?? '').matchAll(ATTR)) {
      const key = a[1]!.toLowerCase();
      if (!allowed.includes(key)) throw new SsmlError(`<${name}> has no attribute ${key}`);
      attrs[key] = decode(a[2] ?? a[3] ?? '');
    }
    if (stack.length === 0 && name !== 'speak') throw new SsmlError('the document must be one <speak> element');
    const rate = (stack.at(-1)?.rate ?? 1) * (name === 'prosody' && attrs.rate !== undefined ? rateOf(attrs.rate) : 1);
    const open: Open = { name, attrs, inner: [], rate };
    if (stack.some((o) => ['phoneme', 'sub', 'say-as'].includes(o.name))) throw new SsmlError(`<${name}> inside <${stack.at(-1)!.name}>: only text may be there`);

    if (selfClosing === '/') {
      if (name === 'break') emit(` [pause:${attrs.time !== undefined ? seconds(attrs.time) : (STRENGTH[attrs.strength ?? 'medium'] ?? badStrength(attrs.strength))}s] `);
      else closeElement(open, emit);
      continue;
    }
    if (name === 'break') throw new SsmlError('<break> must be empty: <break time="1s"/>');
    if (name === 'phoneme' && attrs.ph === undefined) throw new SsmlError('<phoneme> needs ph="..."');
    if (name === 'sub' && attrs.alias === undefined) throw new SsmlError('<sub> needs alias="..."');
    if (name === 'say-as' && attrs['interpret-as'] === undefined) throw new SsmlError('<say-as> needs interpret-as="..."');
    stack.push(open);
  }
  if (stack.length > 0) throw new SsmlError(`<${stack.at(-1)!.name}> is never closed`);
  if (!ended) throw new SsmlError('no <speak> element');
  return runs.filter((r) => r.text.trim() !== '');
}

function badStrength(strength: string | undefined): never {
  throw new SsmlError(`break strength ${JSON.stringify(strength)}: none, x-weak, weak, medium, strong, x-strong`);
}

function closeElement(open: Open, emit: (text: string) => void): void {
  const inner = open.inner.join('');
  switch (open.name) {
    case 'phoneme': {
      const problem = phonemeProblem(open.attrs.ph!);
      if (problem !== null) throw new SsmlError(`<phoneme ph="${open.attrs.ph!.slice(0, 40)}">: ${problem}`);
      if (/[/()]/.test(open.attrs.ph!)) throw new SsmlError('<phoneme ph> may not hold "/", "(" or ")"');
      return emit(`[${inner.replace(/[[\]]/g, '')}](/${open.attrs.ph}/)`);
    }
    case 'sub':
      return emit(open.attrs.alias!);
    case 'say-as':
      return emit(sayAs(open.attrs['interpret-as']!, inner));
    case 'p':
    case 's':
      return emit('\n');
    default:
      return;
  }
}
