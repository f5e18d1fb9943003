/**
 * Joins: silence measured, only silence trimmed, gaps chosen by the boundary, no step at a cut.
 */
import t from 'tap';
import { boundaryAfter, DEFAULT_JOIN, joinSettings, msToSamples, shapeChunk } from '../../src/pipeline/join-silence.ts';
import { TurnPipeline, type ChunkAudio } from '../../src/pipeline/turn-pipeline.ts';
import { amplitudeOf, measureSilence } from '../../src/shared/silence.ts';
import type { SynthesizeRequest, SynthesizedAudio, Synthesizer } from '../../src/synth/types.ts';

const RATE = 24_000;
const THRESHOLD = amplitudeOf(-60);

/** Kokoro's shape: `leadMs` of faint noise, a tone, `trailMs` of faint noise. */
function chunk(leadMs: number, toneMs: number, trailMs: number): Float32Array {
  const lead = msToSamples(leadMs, RATE);
  const tone = msToSamples(toneMs, RATE);
  const pcm = new Float32Array(lead + tone + msToSamples(trailMs, RATE));
  for (let i = 0; i < pcm.length; i++) pcm[i] = THRESHOLD * 0.5 * Math.sin(i); // below the threshold
  for (let i = 0; i < tone; i++) pcm[lead + i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / RATE) + (i === 0 ? 0.3 : 0);
  pcm[lead + tone - 1] = 0.3;
  return pcm;
}

/** Silence between the last sound of `a` and the first sound of `b`, played back to back, in ms. */
function gapMs(a: Float32Array, b: Float32Array): number {
  return ((measureSilence(a).trail + measureSilence(b).lead) * 1000) / RATE;
}

t.test('silence is measured up to the first and after the last sample at or above the threshold', async (t) => {
  const pcm = chunk(320, 1000, 500);
  t.same(measureSilence(pcm), { lead: msToSamples(320, RATE), trail: msToSamples(500, RATE) });
  t.same(measureSilence(new Float32Array(100)), { lead: 100, trail: 0 }, 'a chunk with no sound is all lead');
});

t.test('the boundary a chunk ends at', async (t) => {
  for (const [text, want] of [
    ['It works.', 'sentence'],
    ['Really?"', 'sentence'],
    ['Wait!  ', 'sentence'],
    ['first, ', 'clause'],
    ['and then;', 'clause'],
    ['so —', 'clause'],
    ['this is a story', 'word'],
    ['Dr', 'word'],
  ] as const) t.equal(boundaryAfter(text), want, JSON.stringify(text));
});

t.test('the first chunk keeps at most firstLeadMs before its first sound; only silence is cut', async (t) => {
  const pcm = chunk(320, 1000, 500);
  const shaped = shapeChunk(pcm.slice(), measureSilence(pcm), RATE, msToSamples(40, RATE), 'sentence', DEFAULT_JOIN);
  t.equal(measureSilence(shaped.pcm).lead, msToSamples(40, RATE), '40 ms of lead kept');
  t.equal(shaped.trimmedLead, msToSamples(280, RATE));
  t.equal(measureSilence(shaped.pcm).trail, msToSamples(150, RATE), 'half the sentence gap kept as tail');
  const cut = [...pcm.subarray(0, shaped.trimmedLead), ...pcm.subarray(pcm.length - shaped.trimmedTrail)];
  t.ok(cut.every((x) => Math.abs(x) < THRESHOLD), `all ${cut.length} trimmed samples are below -60 dBFS`);
  t.equal(shaped.pcm.length, pcm.length - shaped.trimmedLead - shaped.trimmedTrail, 'nothing else removed');
  t.equal(shaped.pcm[0], 0, 'faded in: no step at the first cut');
  t.equal(shaped.pcm.at(-1), 0, 'faded out: no step at the last cut');
  const sound = shaped.pcm.subarray(measureSilence(shaped.pcm).lead, shaped.pcm.length - measureSilence(shaped.pcm).trail);
  const original = pcm.subarray(measureSilence(pcm).lead, pcm.length - measureSilence(pcm).trail);
  t.same(sound, original, 'the sound itself is untouched');
});

t.test('join gaps follow the boundary the previous chunk ended at', async (t) => {
  for (const [boundary, want] of [['sentence', 300], ['clause', 110], ['word', 40]] as const) {
    const a = chunk(320, 500, 500);
    const b = chunk(320, 500, 500);
    const first = shapeChunk(a, measureSilence(a), RATE, msToSamples(40, RATE), boundary, DEFAULT_JOIN);
    const second = shapeChunk(b, measureSilence(b), RATE, first.nextLead, 'sentence', DEFAULT_JOIN);
    t.ok(Math.abs(gapMs(first.pcm, second.pcm) - want) <= 1, `${boundary}: ${gapMs(first.pcm, second.pcm).toFixed(1)} ms`);
  }
});

t.test('a chunk with less silence than the gap keeps all it has; a chunk with no sound passes as it is', async (t) => {
  const tight = chunk(10, 500, 5);
  const shaped = shapeChunk(tight.slice(), measureSilence(tight), RATE, msToSamples(150, RATE), 'sentence', DEFAULT_JOIN);
  t.equal(shaped.pcm.length, tight.length, 'nothing to trim');
  const quiet = new Float32Array(2400);
  t.equal(shapeChunk(quiet, measureSilence(quiet), RATE, 0, 'word', DEFAULT_JOIN).pcm, quiet);
});

t.test('KOKORO_JOIN_TRIM=0 turns trimming off', async (t) => {
  t.equal(joinSettings({ joinTrim: false, firstLeadMs: 40, gapSentenceMs: 300, gapClauseMs: 110, gapWordMs: 40 }), undefined);
  t.same(joinSettings({ joinTrim: true, firstLeadMs: 10, gapSentenceMs: 1, gapClauseMs: 2, gapWordMs: 3 })?.gapMs, { sentence: 1, clause: 2, word: 3 });
});

t.test('the pipeline trims in delivery order, across a failed chunk, and restarts the lead allowance per turn', async (t) => {
  const texts = ['Hello there,', 'this is a story', 'of small improvements.'];
  const synth: Synthesizer = {
    synthesize: async (req: SynthesizeRequest): Promise<SynthesizedAudio> => {
      if (req.text === 'this is a story') throw new Error('boom');
      const pcm = chunk(320, 600, 480);
      return { pcm, sampleRate: RATE, queueMs: 0, synthMs: 0, provider: 'local', silence: measureSilence(pcm) };
    },
  };
  const pipeline = new TurnPipeline('turn', { synth, owner: 'o', voice: 'af_heart', speed: 1, maxInFlight: 3, drainSafetyMs: 60_000, join: DEFAULT_JOIN });
  const audio: ChunkAudio[] = [];
  pipeline.on('audio', (a: ChunkAudio) => audio.push(a));
  pipeline.on('error', () => undefined);
  texts.forEach((text) => pipeline.processChunk(text));
  await pipeline.finish();
  t.equal(audio.length, 2);
  t.equal(measureSilence(audio[0]!.pcm).lead, msToSamples(40, RATE), 'first audio: 40 ms of lead');
  t.ok(Math.abs(gapMs(audio[0]!.pcm, audio[1]!.pcm) - 110) <= 1, 'the clause gap joins chunk 0 to chunk 2 (chunk 1 failed)');
  t.equal(measureSilence(audio[1]!.pcm).trail, msToSamples(150, RATE), 'the last chunk keeps a short tail');
});
