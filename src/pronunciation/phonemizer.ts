/**
 * Text -> phonemes for POST /v1/phonemize and /dev/phonemize, off the event loop: one small
 * Piscina thread running workers/phonemize.worker.ts (no model), started on first use and
 * retired when idle. Owned by the app, closed with it.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { TtsError } from '../errors.ts';

const WORKER_FILE = fileURLToPath(new URL(`../../workers/phonemize.worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
/** Requests waiting for the thread beyond this are refused with `overloaded`: no unbounded queue. */
const MAX_QUEUE = 64;
const IDLE_MS = 30_000;

export class Phonemizer {
  #piscina: Piscina | undefined;
  #closed = false;

  async phonemize(text: string, voice: string): Promise<string> {
    if (this.#closed) throw new TtsError('shutting_down', 'the host is shutting down');
    this.#piscina ??= new Piscina({ filename: WORKER_FILE, minThreads: 0, maxThreads: 1, idleTimeout: IDLE_MS, maxQueue: MAX_QUEUE });
    if (this.#piscina.queueSize >= MAX_QUEUE) throw new TtsError('overloaded', 'the phonemizer queue is full; retry shortly');
    const out = (await this.#piscina.run({ text, voice })) as { phonemes: string };
    return out.phonemes;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#piscina?.close();
  }
}
