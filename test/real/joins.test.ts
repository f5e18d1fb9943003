/**
 * Joins on the genuine model: the first audio starts within its lead allowance, each join's
 * gap follows the boundary the chunk before it ended at, nothing but silence is trimmed, and
 * no join steps. Skipped, with the reason, when the genuine model is not there.
 */
import t from 'tap';
import { DEFAULT_JOIN, msToSamples } from '../../src/pipeline/join-silence.ts';
import { TurnPipeline, type ChunkAudio } from '../../src/pipeline/turn-pipeline.ts';
import { amplitudeOf, DEFAULT_SILENCE_THRESHOLD_DBFS, measureSilence } from '../../src/shared/silence.ts';
import type { SynthesizedAudio } from '../../src/synth/types.ts';
import { GENUINE_MODEL, NO_GENUINE_MODEL, startPool } from '../helpers/pool.ts';

const RATE = 24_000;
const THRESHOLD = amplitudeOf(DEFAULT_SILENCE_THRESHOLD_DBFS);
const ms = (samples: number) => (samples * 1000) / RATE;

t.test('a turn on the genuine model: first lead, gaps by boundary, only silence trimmed, no steps', { skip: NO_GENUINE_MODEL }, async (t) => {
  const { pool } = await startPool({ modelPath: GENUINE_MODEL, faultInjection: false, stallModelPath: undefined });
  t.teardown(() => pool.close());
  // The raw audio of each chunk, as the worker returned it, to compare with what is delivered.
  const raw = new Map<string, SynthesizedAudio>();
  const synth = { synthesize: (req: Parameters<typeof pool.synthesize>[0]) => pool.synthesize(req).then((a) => (raw.set(req.text, { ...a, pcm: a.pcm.slice() }), a)) };
  const pipeline = new TurnPipeline('joins', { synth, owner: 'joins', voice: 'af_heart', speed: 1, maxInFlight: 2, drainSafetyMs: 120_000, join: DEFAULT_JOIN });
  const audio: ChunkAudio[] = [];
  pipeline.on('audio', (a: ChunkAudio) => audio.push(a));
  const chunks = ['Hello there, this is a story', 'of small improvements,', 'and the first sentence ends here.', 'Then another one begins.'];
  chunks.forEach((text) => pipeline.processChunk(text));
  const summary = await pipeline.finish();
  t.equal(summary.failed, 0);
  t.equal(audio.length, chunks.length);

  t.ok(ms(measureSilence(audio[0]!.pcm).lead) <= DEFAULT_JOIN.firstLeadMs, `first audio: ${ms(measureSilence(audio[0]!.pcm).lead).toFixed(1)} ms of lead`);
  const gaps = audio.slice(1).map((a, i) => ms(measureSilence(audio[i]!.pcm).trail + measureSilence(a.pcm).lead));
  t.ok(gaps[0]! <= 120, `word join: ${gaps[0]!.toFixed(0)} ms`);
  t.ok(gaps[1]! <= 120, `clause join: ${gaps[1]!.toFixed(0)} ms`);
  t.ok(gaps[2]! >= 250 && gaps[2]! <= 400, `sentence join: ${gaps[2]!.toFixed(0)} ms`);
  t.ok(ms(measureSilence(audio.at(-1)!.pcm).trail) <= DEFAULT_JOIN.gapMs.sentence / 2 + 1, 'the last chunk keeps a short tail');

  for (const a of audio) {
    const before = raw.get(a.text)!.pcm;
    const cutLead = measureSilence(before).lead - measureSilence(a.pcm).lead;
    const cutTrail = measureSilence(before).trail - measureSilence(a.pcm).trail;
    const cut = [...before.subarray(0, cutLead), ...before.subarray(before.length - cutTrail)];
    t.ok(cut.every((x) => Math.abs(x) < THRESHOLD), `"${a.text}": the ${cut.length} trimmed samples are all below ${DEFAULT_SILENCE_THRESHOLD_DBFS} dBFS`);
    t.equal(a.pcm.length, before.length - cutLead - cutTrail, 'nothing else is missing');
    t.ok(cutLead + cutTrail > msToSamples(100, RATE), 'Kokoro silence was trimmed');
  }
  for (let i = 1; i < audio.length; i++) {
    const step = Math.abs(audio[i]!.pcm[0]! - audio[i - 1]!.pcm.at(-1)!);
    t.ok(step < THRESHOLD, `join ${i}: step ${step.toExponential(1)} at the cut`);
  }
});
