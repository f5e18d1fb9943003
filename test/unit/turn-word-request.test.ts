/**
 * Word times are asked of the synthesizer only for a turn whose client asked for them: locating
 * words costs the worker a phonemizer call per new word, and a turn nobody times must not pay.
 * The ask travels from the protocol's turn settings (VoiceSettings.timestamps) through the
 * pipeline to SynthesizeRequest.words.
 */
import t from 'tap';
import { TurnPipeline } from '../../src/pipeline/turn-pipeline.ts';
import type { SynthesizeRequest, Synthesizer } from '../../src/synth/types.ts';

function recordingSynth(seen: SynthesizeRequest[]): Synthesizer {
  return {
    async synthesize(req) {
      seen.push(req);
      return { pcm: new Float32Array(240), sampleRate: 24_000, queueMs: 0, synthMs: 1, provider: 'local' };
    },
  };
}

for (const timeWords of [true, false, undefined]) {
  t.test(`timeWords ${String(timeWords)}: every chunk's request ${timeWords === true ? 'asks' : 'does not ask'} for words`, async (t) => {
    const seen: SynthesizeRequest[] = [];
    const pipeline = new TurnPipeline('turn', {
      synth: recordingSynth(seen),
      owner: 'o',
      voice: 'af_heart',
      speed: 1,
      maxInFlight: 2,
      drainSafetyMs: 60_000,
      ...(timeWords !== undefined ? { timeWords } : {}),
    });
    pipeline.processChunk('One.');
    pipeline.processChunk('Two.');
    pipeline.processChunk('Three.');
    await pipeline.finish();
    t.equal(seen.length, 3);
    t.same(
      seen.map((r) => r.words === true),
      [timeWords === true, timeWords === true, timeWords === true],
    );
  });
}
