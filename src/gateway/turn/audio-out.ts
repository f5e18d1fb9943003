/** Audio as the gateway emits it: mono at OUTPUT_SAMPLE_RATE, whatever rate a provider returned. */
import { resample } from '../../common/audio.ts';
import { OUTPUT_SAMPLE_RATE } from '../context.ts';

export function atOutputRate(pcm: Float32Array, sampleRate: number): Float32Array {
  return sampleRate === OUTPUT_SAMPLE_RATE ? pcm : resample(pcm, sampleRate, OUTPUT_SAMPLE_RATE);
}

export function samplesToMs(samples: number): number {
  return Math.round((samples / OUTPUT_SAMPLE_RATE) * 1000);
}
