/**
 * Joins that sound like speech, not like a full stop after every chunk.
 *
 * Each chunk arrives with its measured leading and trailing silence (src/shared/silence.ts).
 * The gap a listener hears at a join is the previous chunk's kept tail plus this chunk's
 * kept lead; it is chosen by the boundary the previous chunk ended at:
 *
 *   sentence   . ! ? and the like      about a breath (300 ms by default)
 *   clause     , ; : — …               a short pause (110 ms)
 *   word       the chunker cut mid-clause  barely a gap (40 ms)
 *
 * A chunk is sent before the next one exists, so its tail keeps half its boundary's gap and
 * the next chunk's lead makes up the rest. The first chunk of a turn keeps at most
 * `firstLeadMs` of lead, so first audio is audible at once. Only silence is removed (never
 * a sample at or above the threshold), and a short fade inside the kept silence leaves no
 * step at the cut for a click.
 */
import type { Silence } from '../shared/silence.ts';

export type Boundary = 'sentence' | 'clause' | 'word';

export interface JoinSettings {
  /** Lead kept on the first audio of a turn, in ms. */
  firstLeadMs: number;
  /** The silence between two chunks, by the boundary the first one ended at, in ms. */
  gapMs: Record<Boundary, number>;
  /** Length of the fade at each cut, in ms (only ever over kept silence). */
  fadeMs: number;
}

export const DEFAULT_JOIN: JoinSettings = { firstLeadMs: 40, gapMs: { sentence: 300, clause: 110, word: 40 }, fadeMs: 3 };

const SENTENCE_END = /[.!?。！？‼⁇⁈⁉]["'”’)\]»」』]*$/u;
const CLAUSE_END = /[,;:—–…、，；：]["'”’)\]»」』]*$/u;

/** The join settings in effect, or undefined with KOKORO_JOIN_TRIM=0. */
export function joinSettings(c: { joinTrim: boolean; firstLeadMs: number; gapSentenceMs: number; gapClauseMs: number; gapWordMs: number }): JoinSettings | undefined {
  if (!c.joinTrim) return undefined;
  return { firstLeadMs: c.firstLeadMs, gapMs: { sentence: c.gapSentenceMs, clause: c.gapClauseMs, word: c.gapWordMs }, fadeMs: DEFAULT_JOIN.fadeMs };
}

/** The boundary a chunk's text ends at (the chunker cut there, or the turn ended). */
export function boundaryAfter(text: string): Boundary {
  const end = text.trimEnd();
  if (SENTENCE_END.test(end)) return 'sentence';
  if (CLAUSE_END.test(end)) return 'clause';
  return 'word';
}

export interface ShapedChunk {
  pcm: Float32Array;
  /** Samples trimmed from the start and the end (all below the silence threshold). */
  trimmedLead: number;
  trimmedTrail: number;
  /** Lead the next chunk may keep, in samples: this boundary's gap minus the tail kept here. */
  nextLead: number;
}

/**
 * Trims one chunk for its place in the turn. `lead`: what this chunk may keep before its
 * first sound, in samples (the first chunk's allowance, or what the previous join left).
 */
export function shapeChunk(pcm: Float32Array, silence: Silence, sampleRate: number, lead: number, boundary: Boundary, s: JoinSettings): ShapedChunk {
  const gap = msToSamples(s.gapMs[boundary], sampleRate);
  // No sound at all (a pause chunk): nothing to align on, so it passes as it is.
  if (silence.lead >= pcm.length) return { pcm, trimmedLead: 0, trimmedTrail: 0, nextLead: gap };
  const keepLead = Math.min(silence.lead, Math.max(0, lead));
  const keepTrail = Math.min(silence.trail, Math.ceil(gap / 2));
  const start = silence.lead - keepLead;
  const end = pcm.length - (silence.trail - keepTrail);
  const out = pcm.slice(start, end);
  const fade = msToSamples(s.fadeMs, sampleRate);
  if (start > 0) fadeIn(out, Math.min(fade, keepLead));
  if (end < pcm.length) fadeOut(out, Math.min(fade, keepTrail));
  return { pcm: out, trimmedLead: start, trimmedTrail: pcm.length - end, nextLead: gap - keepTrail };
}

export function msToSamples(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000);
}

function fadeIn(pcm: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) pcm[i] = pcm[i]! * (i / n);
}

function fadeOut(pcm: Float32Array, n: number): void {
  const last = pcm.length - 1;
  for (let i = 0; i < n; i++) pcm[last - i] = pcm[last - i]! * (i / n);
}
