/**
 * Word times on the delivered audio: shifted by the lead the join shaping trimmed, clamped into
 * the chunk (src/pipeline/word-shift.ts), carried by the pipeline, and rendered as ws-v1's
 * whole-millisecond fields (src/protocols/native-ws/word-fields.ts).
 */
import t from 'tap';
import { DEFAULT_JOIN, msToSamples } from '../../src/pipeline/join-silence.ts';
import { TurnPipeline, type ChunkAudio } from '../../src/pipeline/turn-pipeline.ts';
import { shiftWords } from '../../src/pipeline/word-shift.ts';
import { timingFields } from '../../src/protocols/native-ws/word-fields.ts';
import { amplitudeOf, measureSilence } from '../../src/shared/silence.ts';
import type { WordTiming } from '../../src/shared/word-timing.ts';
import type { SynthesizedAudio, Synthesizer } from '../../src/synth/types.ts';

const RATE = 24_000;
const word = (w: string, startMs: number, endMs: number): WordTiming => ({ word: w, charStart: 0, charEnd: w.length, startMs, endMs });

t.test('shiftWords moves every time earlier by the trimmed lead and clamps into the delivered audio', async (t) => {
  const words = [word('lead', 10, 90), word('one', 100, 300), word('two', 300, 700), word('past', 950, 1200)];
  // 100 ms trimmed from the start, 800 ms delivered.
  const out = shiftWords(words, msToSamples(100, RATE), msToSamples(800, RATE), RATE);
  t.same(
    out.map((w) => [w.word, w.startMs, w.endMs]),
    [
      ['lead', 0, 0],
      ['one', 0, 200],
      ['two', 200, 600],
      ['past', 800, 800],
    ],
  );
  t.same(words[1], word('one', 100, 300), 'the input is not changed');
  for (const w of out) t.ok(w.startMs >= 0 && w.startMs <= w.endMs && w.endMs <= 800, `${w.word} inside the chunk`);
});

t.test('timingFields: whole ms, offset on the turn timeline, never past the frame; an untimed chunk has words: []', async (t) => {
  const pcm = new Float32Array(2399); // 99.958 ms
  const f = timingFields({ pcm, offsetMs: 1234.4, words: [word('a', 0.4, 50.5), word('b', 50.5, 99.9)] }, RATE);
  t.same(f, { offset_ms: 1234, words: [{ word: 'a', start_ms: 0, end_ms: 51 }, { word: 'b', start_ms: 51, end_ms: 99 }] });
  t.same(timingFields({ pcm, offsetMs: 0 }, RATE), { offset_ms: 0, words: [] });
});

/** Kokoro's shape: `leadMs` of faint noise, a tone, `trailMs` of faint noise. */
function chunk(leadMs: number, toneMs: number, trailMs: number): Float32Array {
  const lead = msToSamples(leadMs, RATE);
  const tone = msToSamples(toneMs, RATE);
  const pcm = new Float32Array(lead + tone + msToSamples(trailMs, RATE));
  for (let i = 0; i < pcm.length; i++) pcm[i] = amplitudeOf(-60) * 0.5 * Math.sin(i);
  for (let i = 0; i < tone; i++) pcm[lead + i] = 0.3;
  return pcm;
}

t.test('the pipeline hands on word times shifted by the silence it trimmed at the join', async (t) => {
  const synth: Synthesizer = {
    synthesize: async (req): Promise<SynthesizedAudio> => {
      const pcm = chunk(320, 600, 480);
      const words = [word(req.text, 320, 920), word('tail', 1100, 1400)];
      return { pcm, sampleRate: RATE, queueMs: 0, synthMs: 0, provider: 'local', silence: measureSilence(pcm), words };
    },
  };
  const pipeline = new TurnPipeline('turn', { synth, owner: 'o', voice: 'af_heart', speed: 1, maxInFlight: 2, drainSafetyMs: 60_000, join: DEFAULT_JOIN });
  const audio: ChunkAudio[] = [];
  pipeline.on('audio', (a: ChunkAudio) => audio.push(a));
  pipeline.processChunk('Hello there,');
  pipeline.processChunk('again.');
  await pipeline.finish();
  t.equal(audio.length, 2);
  const lead0 = measureSilence(audio[0]!.pcm).lead;
  t.equal(lead0, msToSamples(DEFAULT_JOIN.firstLeadMs, RATE), 'first chunk keeps the first-lead allowance');
  t.same([audio[0]!.words![0]!.startMs, audio[0]!.words![0]!.endMs], [DEFAULT_JOIN.firstLeadMs, DEFAULT_JOIN.firstLeadMs + 600], 'the spoken word moved with the trim');
  for (const a of audio) {
    const ms = (a.pcm.length * 1000) / RATE;
    const lead = (measureSilence(a.pcm).lead * 1000) / RATE;
    t.equal(a.words![0]!.startMs, lead, `chunk ${a.index}: the word starts at the first sound`);
    t.equal(a.words![1]!.endMs, ms, `chunk ${a.index}: a time past the kept audio is clamped to its end`);
  }
});

t.test('with join trimming off, times pass unchanged (clamped only)', async (t) => {
  const pcm = chunk(100, 100, 100);
  const synth: Synthesizer = {
    synthesize: async (): Promise<SynthesizedAudio> => ({ pcm, sampleRate: RATE, queueMs: 0, synthMs: 0, provider: 'local', silence: measureSilence(pcm), words: [word('x', 100, 200), word('y', 250, 400)] }),
  };
  const pipeline = new TurnPipeline('turn', { synth, owner: 'o', voice: 'af_heart', speed: 1, maxInFlight: 2, drainSafetyMs: 60_000 });
  const audio: ChunkAudio[] = [];
  pipeline.on('audio', (a: ChunkAudio) => audio.push(a));
  pipeline.processChunk('x y');
  await pipeline.finish();
  t.same(audio[0]!.words!.map((w) => [w.startMs, w.endMs]), [[100, 200], [250, 300]]);
});
