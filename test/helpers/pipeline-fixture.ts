/**
 * The TurnPipeline unit tests' fixture: a Synthesizer the test settles by hand, and a
 * pipeline whose events are recorded in order.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { TurnPipeline, type ChunkAudio, type ChunkFailure, type TurnPipelineOptions, type TurnSummary } from '../../src/pipeline/turn-pipeline.ts';
import type { SynthesizeRequest, SynthesizedAudio, Synthesizer } from '../../src/synth/types.ts';

/** A Synthesizer whose calls the test settles by hand. */
export class FakeSynth implements Synthesizer {
  readonly calls: { req: SynthesizeRequest; resolve(a?: Partial<SynthesizedAudio>): void; reject(e: unknown): void; aborted: boolean }[] = [];

  synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    return new Promise((resolve, reject) => {
      const call = {
        req,
        aborted: false,
        resolve: (a: Partial<SynthesizedAudio> = {}) =>
          resolve({ pcm: new Float32Array(2400), sampleRate: 24000, queueMs: 1, synthMs: 2, provider: 'local', ...a }),
        reject,
      };
      req.signal?.addEventListener('abort', () => (call.aborted = true), { once: true });
      this.calls.push(call);
    });
  }

  call(text: string) {
    const c = this.calls.find((x) => x.req.text === text);
    if (c === undefined) throw new Error(`no call for ${text}`);
    return c;
  }
}

export interface Recorder {
  events: string[];
  audio: ChunkAudio[];
  errors: ChunkFailure[];
  done: TurnSummary[];
}

export function setup(opts: Partial<TurnPipelineOptions> = {}, turnId = 'turn-1') {
  const synth = new FakeSynth();
  const pipeline = new TurnPipeline(turnId, { synth, owner: 'conn-1', voice: 'af_heart', speed: 1, maxInFlight: 8, drainSafetyMs: 60_000, ...opts });
  const rec: Recorder = { events: [], audio: [], errors: [], done: [] };
  pipeline.on('audio', (a: ChunkAudio) => {
    rec.events.push(`audio:${a.index}`);
    rec.audio.push(a);
  });
  pipeline.on('error', (f: ChunkFailure) => {
    rec.events.push(`error:${f.index}:${f.error.code}`);
    rec.errors.push(f);
  });
  pipeline.on('done', (s: TurnSummary) => {
    // The summary says whether every chunk failed; recorded as its own step before 'done'.
    if (s.allFailed) rec.events.push('all_failed');
    rec.events.push('done');
    rec.done.push(s);
  });
  pipeline.on('cancelled', (c: { lastIndex: number }) => rec.events.push(`cancelled:${c.lastIndex}`));
  return { synth, pipeline, rec };
}

/** Lets settled promises' callbacks run (microtasks and one macrotask). */
export const flush = () => nextMacrotask();

export function feed(pipeline: TurnPipeline, n: number) {
  for (let i = 0; i < n; i++) pipeline.processChunk(`chunk ${i}`);
}
