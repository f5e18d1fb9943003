/**
 * Style vectors from the voice files kokoro-js ships. A single voice goes through
 * kokoro-js itself (see synthesizer.ts); this module serves voice mixes, using the same
 * rule kokoro-js uses to pick a style row: the row for the token count, clamped to 509.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { VoiceComponent } from '../../src/shared/voices.ts';
import { STYLE_DIM, VOICE_ROWS } from './tokenizer.ts';

const VOICE_DIR = fileURLToPath(new URL('../voices/', import.meta.resolve('kokoro-js')));
const cache = new Map<string, Float32Array>();

async function voiceTable(id: string): Promise<Float32Array> {
  let table = cache.get(id);
  if (table === undefined) {
    // `id` was checked against the catalogue by parseVoice(): no path can be built from user input.
    const bytes = await readFile(`${VOICE_DIR}${id}.bin`);
    table = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    cache.set(id, table);
  }
  return table;
}

/** kokoro-js's row rule: one row per phoneme-token count, the last row for longer input. */
export function styleRow(tokens: number): number {
  return Math.min(Math.max(tokens, 0), VOICE_ROWS - 1);
}

/** Weighted sum of each component's style row for `tokens` phoneme tokens. */
export async function mixedStyle(components: readonly VoiceComponent[], tokens: number): Promise<Float32Array> {
  const offset = styleRow(tokens) * STYLE_DIM;
  const style = new Float32Array(STYLE_DIM);
  for (const { id, weight } of components) {
    const table = await voiceTable(id);
    for (let i = 0; i < STYLE_DIM; i++) style[i]! += weight * table[offset + i]!;
  }
  return style;
}
