/**
 * Word timing on the genuine Kokoro-82M v1.0 int8 file, which has no durations output: the host
 * prepares a copy that outputs its duration tensor, the copy's audio is the original's, the sum
 * rule holds exactly, and word times are in order, inside their chunk, the last word ending where
 * the sentence's sound does (the worker cuts a word's quiet tail at -40 dBFS, so this holds only
 * when the aligned last word's span covers the sentence's last sound). Skipped, saying so, when the
 * model is absent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openSession } from '../../workers/kokoro/session.ts';
import { KokoroSynthesizer } from '../../workers/kokoro/synthesizer.ts';
import { g2p, phonemize } from '../../workers/kokoro/phonemize.ts';
import { wordTimes } from '../../workers/kokoro/word-times.ts';
import { frameIds, phonemesToIds } from '../../workers/kokoro/tokenizer.ts';
import { mixedStyle } from '../../workers/kokoro/voices.ts';
import { GENUINE_MODEL, NO_GENUINE_MODEL } from '../../harness/paths.ts';

const SENTENCES = [
  'It was a bright cold day in April, and the clocks were striking thirteen.',
  'I paid $5.50 for 3 apples in 1999, said Dr. Smith.',
  'Hello there!',
];
/** The test's own audible level: the first sample above -40 dBFS, from the end. */
const AUDIBLE = 10 ** (-40 / 20);
const SAMPLES_PER_FRAME = 600;

/** Where the sound ends: after the first sample above -40 dBFS, searching from the end. */
function audibleEndMs(pcm: Float32Array): number {
  let end = pcm.length - 1;
  while (end > 0 && Math.abs(pcm[end]!) <= AUDIBLE) end--;
  return ((end + 1) * 1000) / 24000;
}

t.test('word timing on the genuine model', { skip: NO_GENUINE_MODEL }, async (t) => {
  const cache = mkdtempSync(join(tmpdir(), 'kokoro-durations-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const timed = await openSession(GENUINE_MODEL, { intraOpThreads: 1, enableCpuMemArena: false, durationsCacheDir: cache });
  t.teardown(() => timed.release());
  t.match(timed.timing, { ok: true, output: 'durations', prepared: true }, 'the read-only model was prepared into the cache');

  await t.test('the prepared copy sounds exactly like the original, and sum(durations) * 600 == samples', async (t) => {
    const plain = await openSession(GENUINE_MODEL, { intraOpThreads: 1, enableCpuMemArena: false });
    t.teardown(() => plain.release());
    for (const text of SENTENCES) {
      const ids = phonemesToIds(await phonemize(text, 'af_heart'));
      const style = await mixedStyle([{ id: 'af_heart', weight: 1 }], ids.length);
      const a = await timed.run(frameIds(ids), style, 1);
      const b = await plain.run(frameIds(ids), style, 1);
      t.same(Buffer.from(a.audio.buffer), Buffer.from(b.audio.buffer), `${text}: same samples`);
      t.equal(a.durations!.length, ids.length + 2, 'one duration per token and pad');
      t.equal(a.durations!.reduce((s, d) => s + d, 0) * SAMPLES_PER_FRAME, a.audio.length, `${text}: the sum rule`);
      // By durations alone, before any cut at the sound: the last word's frames cover the last sound.
      const g = await g2p(text, 'af_heart');
      const raw = wordTimes({ text, phonemes: g.phonemes, words: g.words, durations: a.durations!, samples: a.audio.length, sampleRate: 24_000 })!;
      const lastSound = audibleEndMs(a.audio);
      t.ok(raw.at(-1)!.startMs < lastSound && raw.at(-1)!.endMs >= lastSound - 50, `${text}: "${raw.at(-1)!.word}" spans ${raw.at(-1)!.startMs}..${raw.at(-1)!.endMs} ms, the last sound is at ${lastSound.toFixed(0)} ms`);
    }
  });

  await t.test('words in order, inside their chunk; the last ends within 50 ms of the audible end', async (t) => {
    const synth = new KokoroSynthesizer(timed);
    for (const speed of [1, 1.3]) {
      for (const text of SENTENCES) {
        const out = await synth.synthesize({ text, words: true }, [{ id: 'af_heart', weight: 1 }], speed);
        const words = out.words!;
        const ms = (out.pcm.length / 24) | 0;
        t.ok(words.length > 0, 'timed');
        let last = 0;
        for (const w of words) {
          t.ok(w.startMs >= last && w.startMs <= w.endMs && w.endMs <= (out.pcm.length * 1000) / 24000, `${w.word} ${w.startMs.toFixed(0)}..${w.endMs.toFixed(0)} in order, inside ${ms} ms`);
          last = w.endMs;
        }
        const soundEnd = audibleEndMs(out.pcm);
        const lastEnd = words.at(-1)!.endMs;
        t.ok(Math.abs(lastEnd - soundEnd) <= 50, `speed ${speed} "${text}": the last word ends at ${lastEnd.toFixed(0)} ms, the sound at ${soundEnd.toFixed(0)} ms`);
      }
    }
  });
});
