/**
 * What the soak sends and how it counts what came back: turns of sentences drawn with a
 * seeded PRNG, some carrying fault markers, tallied per turn end, chunk and fault.
 */
import type { TurnRecord } from './conn.ts';

export const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Please hold while I look that up for you.',
  'Your order has shipped and should arrive on Tuesday.',
  'I can help with that.',
  'The weather tomorrow looks clear, with a light breeze from the west in the afternoon.',
  'Thanks for calling, have a great day!',
  'Let me read the first three items on your list.',
  'That is a good question, and the answer depends on a few things we should go through together.',
];
export const FAULTS = ['[[hang]]', '[[crash]]', '[[error]]'] as const;
export type Fault = (typeof FAULTS)[number];

/** Deterministic PRNG (mulberry32), so a run can be repeated with its --seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A turn of 1-max sentences (each one chunk); each sentence carries a fault with probability `rate`. */
export function makeTurn(random: () => number, rate: number, max: number): { text: string; sentences: number; faults: Fault[] } {
  const sentences = 1 + Math.floor(random() * max);
  const parts: string[] = [];
  const faults: Fault[] = [];
  for (let i = 0; i < sentences; i++) {
    const sentence = SENTENCES[Math.floor(random() * SENTENCES.length)]!;
    if (random() < rate) {
      const fault = FAULTS[Math.floor(random() * FAULTS.length)]!;
      faults.push(fault);
      parts.push(`${fault} ${sentence}`);
    } else parts.push(sentence);
  }
  return { text: parts.join(' '), sentences, faults };
}

export interface Tally {
  turns: number;
  ends: Record<string, number>;
  chunks: number;
  delivered: number;
  failed: number;
  failedCodes: Record<string, number>;
  gaps: number;
  orderViolations: number;
  sizeMismatches: number;
  injected: Record<Fault, number>;
  skippedStarts: number;
  slowestTurnMs: number;
}

export function tallyTurn(t: Tally, r: TurnRecord, faults: Fault[]): void {
  t.turns++;
  t.ends[r.end] = (t.ends[r.end] ?? 0) + 1;
  if (r.end === 'rejected') t.ends[`rejected:${r.rejectedCode}`] = (t.ends[`rejected:${r.rejectedCode}`] ?? 0) + 1;
  // Faults of a turn that never reached the host, or was cut short, do not count as injected.
  if (r.end === 'done') for (const f of faults) t.injected[f]++;
  t.chunks += r.chunks;
  t.delivered += r.delivered;
  t.failed += r.failed;
  for (const code of r.failedCodes) t.failedCodes[code] = (t.failedCodes[code] ?? 0) + 1;
  t.gaps += r.gaps;
  t.orderViolations += r.orderViolations;
  t.sizeMismatches += r.sizeMismatches;
  t.slowestTurnMs = Math.max(t.slowestTurnMs, r.ms);
}
