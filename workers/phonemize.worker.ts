/**
 * Text -> phonemes only (POST /v1/phonemize, /dev/phonemize): the same reading the
 * synthesis worker does (markup, English pre-normaliser, kokoro-js), without the model.
 * Runs in its own small thread pool so G2P never blocks the event loop and no model is loaded.
 */
import { pronounce } from './pronounce.ts';

export interface PhonemizeTask {
  text: string;
  voice: string;
}

export default async function phonemizeTask(task: PhonemizeTask): Promise<{ phonemes: string }> {
  const runs = await pronounce(task.text, task.voice);
  return { phonemes: runs.flatMap((r) => (r.kind === 'speech' ? [r.phonemes] : [])).join(' ') };
}
