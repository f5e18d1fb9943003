/**
 * The backstop for the 510-token limit. The chunker estimates tokens without running
 * espeak-ng (that would block the event loop), so a rare chunk can still be too long
 * for the model. The worker refuses it (never truncates); we split it at the best
 * boundary near its middle, synthesize both halves, and join the audio. No word is lost.
 */
import { TtsError } from '../errors.ts';
import type { Silence } from '../shared/silence.ts';
import type { WordTiming } from '../shared/word-timing.ts';
import type { SynthesizedAudio } from './types.ts';

const MAX_DEPTH = 6;
const BOUNDARIES = [/[.!?…]\s/g, /[;:,—]\s/g, /\s/g];

/** Split near the middle at the strongest boundary available; by characters as a last resort. */
export function splitNearMiddle(text: string): [string, string] {
  const mid = text.length / 2;
  for (const pattern of BOUNDARIES) {
    let best = -1;
    for (const m of text.matchAll(pattern)) {
      const at = m.index + m[0].length;
      if (at <= 0 || at >= text.length) continue;
      if (best < 0 || Math.abs(at - mid) < Math.abs(best - mid)) best = at;
    }
    // Only accept a boundary that leaves both halves substantial.
    if (best > text.length * 0.2 && best < text.length * 0.8) return [text.slice(0, best).trim(), text.slice(best).trim()];
  }
  const chars = [...text];
  const half = Math.floor(chars.length / 2);
  return [chars.slice(0, half).join(''), chars.slice(half).join('')];
}

/**
 * The parts' words on the joined audio and text: each part's times move by the audio before it,
 * its character offsets by where its text starts in the whole (`charStarts`). Untimed if any part is.
 */
function joinedWords(parts: readonly SynthesizedAudio[], charStarts: readonly number[]): { words?: WordTiming[] } {
  if (parts.some((p) => p.words === undefined)) return {};
  const words: WordTiming[] = [];
  let samples = 0;
  parts.forEach((p, i) => {
    const ms = (samples * 1000) / p.sampleRate;
    const chars = charStarts[i] ?? 0;
    for (const w of p.words!) words.push({ ...w, charStart: w.charStart + chars, charEnd: w.charEnd + chars, startMs: w.startMs + ms, endMs: w.endMs + ms });
    samples += p.pcm.length;
  });
  return { words };
}

export function concatAudio(parts: readonly SynthesizedAudio[], charStarts: readonly number[] = []): SynthesizedAudio {
  const first = parts[0]!;
  const pcm = new Float32Array(parts.reduce((n, p) => n + p.pcm.length, 0));
  let at = 0;
  for (const p of parts) {
    pcm.set(p.pcm, at);
    at += p.pcm.length;
  }
  return {
    pcm,
    sampleRate: first.sampleRate,
    queueMs: first.queueMs,
    synthMs: parts.reduce((s, p) => s + p.synthMs, 0),
    provider: first.provider,
    tokens: parts.reduce((s, p) => s + (p.tokens ?? 0), 0),
    ...joinedSilence(parts),
    ...joinedWords(parts, charStarts),
  };
}

/** The joined chunk starts with the first part's lead and ends with the last part's tail. */
function joinedSilence(parts: readonly SynthesizedAudio[]): { silence?: Silence } {
  const head = parts[0]!;
  const tail = parts.at(-1)!;
  if (head.silence === undefined || tail.silence === undefined) return {};
  // A part with no sound at all has no edge to align on: leave the whole untrimmed.
  if (head.silence.lead >= head.pcm.length || tail.silence.lead >= tail.pcm.length) return {};
  return { silence: { lead: head.silence.lead, trail: tail.silence.trail } };
}

export async function synthesizeSplitting(
  text: string,
  once: (text: string) => Promise<SynthesizedAudio>,
  depth = 0,
): Promise<SynthesizedAudio> {
  try {
    return await once(text);
  } catch (err) {
    if (!(err instanceof TtsError) || err.code !== 'text_too_long' || depth >= MAX_DEPTH) throw err;
    const [a, b] = splitNearMiddle(text);
    if (a === '' || b === '') throw err;
    const left = await synthesizeSplitting(a, once, depth + 1);
    const right = await synthesizeSplitting(b, once, depth + 1);
    // The halves are trimmed slices of `text`: find where each starts, for the words' offsets.
    const aStart = text.indexOf(a);
    const bStart = text.indexOf(b, aStart + a.length);
    return concatAudio([left, right], [aStart, bStart]);
  }
}
