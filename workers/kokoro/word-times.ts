/**
 * Word times from the model's per-token durations. Pure: used by the synthesizer and by tests.
 *
 * The model turns token i (pads included) into durations[i] frames of audio, and every frame is
 * the same number of samples (600 at 24 kHz on Kokoro v1.0): sum(durations) * samplesPerFrame is
 * the waveform's length. The frame size is derived from that rule, not assumed, so a model with
 * another hop (or the synthetic stand-in at another speed) is timed right.
 */
import type { G2pWord, WordTiming } from '../../src/shared/word-timing.ts';
import { VOCAB } from './tokenizer.ts';

/** For each code point of `phonemes`, its token index (phonemesToIds' order), or -1: no token. */
export function tokenIndexOfCodePoints(phonemes: string): Int32Array {
  const cps = [...phonemes];
  const out = new Int32Array(cps.length);
  let next = 0;
  cps.forEach((ch, i) => {
    out[i] = VOCAB.has(ch) ? next++ : -1;
  });
  return out;
}

export interface TimingInput {
  text: string;
  phonemes: string;
  words: readonly G2pWord[];
  /** Frames per model input, pads included: [T + 2] for T phoneme tokens. */
  durations: readonly number[];
  samples: number;
  sampleRate: number;
}

/** Each word's start and end in the chunk's audio; undefined when the durations do not fit the tokens. */
export function wordTimes(input: TimingInput): WordTiming[] | undefined {
  const tokenOf = tokenIndexOfCodePoints(input.phonemes);
  const tokens = tokenOf.reduce((n, t) => (t >= 0 ? n + 1 : n), 0);
  if (input.durations.length !== tokens + 2) return undefined;
  // frameAt[k]: frames before model input k; token j is model input j + 1 (after the leading pad).
  const frameAt = [0];
  for (const d of input.durations) frameAt.push(frameAt.at(-1)! + Math.max(0, d));
  const totalFrames = frameAt.at(-1)!;
  if (totalFrames <= 0 || input.samples <= 0) return undefined;
  const msPerFrame = ((input.samples / totalFrames) * 1000) / input.sampleRate;
  const ms = (frame: number) => frame * msPerFrame;
  return input.words.map((w) => {
    let first = -1;
    let last = -1;
    for (let cp = w.phStart; cp < w.phEnd && cp < tokenOf.length; cp++) {
      const t = tokenOf[cp]!;
      if (t < 0) continue;
      if (first < 0) first = t;
      last = t;
    }
    // A word without tokens is an instant where its phonemes would have been.
    if (first < 0) {
      let before = 0;
      for (let cp = 0; cp < w.phStart && cp < tokenOf.length; cp++) if (tokenOf[cp]! >= 0) before++;
      first = before;
      last = before - 1;
    }
    return {
      word: input.text.slice(w.charStart, w.charEnd),
      charStart: w.charStart,
      charEnd: w.charEnd,
      startMs: ms(frameAt[first + 1]!),
      endMs: ms(frameAt[last + 2]!),
    };
  });
}

/** Below this a word's sound has ended (-40 dBFS): quieter than speech, louder than Kokoro's generated silence. */
export const AUDIBLE_DBFS = -40;

/**
 * Each word's end moved back to its last audible sample. Kokoro gives a phrase's last phoneme a
 * long duration (14 frames for the n of "thirteen." against 1-3 for most) and lets the sound
 * decay inside it, so by durations alone a word before a pause ends up to ~300 ms after its
 * sound does. Only the quiet tail inside the word's own span is cut; starts are kept.
 */
export function endAtLastSound(words: readonly WordTiming[], pcm: Float32Array, sampleRate: number, dbfs = AUDIBLE_DBFS): WordTiming[] {
  const level = 10 ** (dbfs / 20);
  const perMs = sampleRate / 1000;
  return words.map((w) => {
    const first = Math.max(0, Math.ceil(w.startMs * perMs));
    let i = Math.min(pcm.length, Math.floor(w.endMs * perMs)) - 1;
    while (i >= first && Math.abs(pcm[i]!) <= level) i--;
    if (i < first) return w;
    return { ...w, endMs: Math.max(w.startMs, (i + 1) / perMs) };
  });
}
