/**
 * Reading the synthetic models' audio back (models/synthetic/contract.ts has the formulas):
 * exact output lengths, and which ids and style produced a waveform.
 */
import {
  AMP_BASE,
  AMP_STYLE,
  AMP_STYLE_GAIN,
  MIX,
  SAMPLE_RATE,
  SAMPLES_PER_TOKEN,
  SPEED_MAX,
  SPEED_MIN,
  TONE_BASE_HZ,
  TONE_STEP_HZ,
  VOCAB_SIZE,
} from '../../models/synthetic/contract.ts';

/**
 * Milliseconds of one thread's CPU per unit of K in kokoro-stall.onnx (input_ids[0,0] = K).
 * Measured on the 2-vCPU AMD EPYC (AVX2) dev box: 0.92-1.04 ms per unit, 1 intra-op thread.
 * Slower or busier machines stall longer, never shorter, which is what fault tests need.
 */
export const STALL_MS_PER_UNIT = 1;

/** Samples per token at `speed`, computed in float32 as the model does. */
export function syntheticHop(speed: number): number {
  const clipped = Math.min(Math.max(Math.fround(speed), Math.fround(SPEED_MIN)), Math.fround(SPEED_MAX));
  // One float32 division, exactly: a double quotient of float32 operands rounds to the same float32.
  return Math.floor(Math.fround(SAMPLES_PER_TOKEN / clipped));
}

/** Exact waveform length for `n` input ids (both pads included) at `speed`. */
export function syntheticSamples(n: number, speed: number): number {
  return n * syntheticHop(speed);
}

/** The style's share of the peak amplitude; a token's peak lies in [A * (1 - 2 * MIX), A]. */
export function syntheticAmplitude(style: Float32Array): number {
  let sum = 0;
  for (const v of style) sum += v;
  return AMP_BASE + AMP_STYLE * Math.tanh(AMP_STYLE_GAIN * (sum / style.length));
}

export const AMPLITUDE_SPREAD = 2 * MIX;

export function toneHz(id: number): number {
  return TONE_BASE_HZ + TONE_STEP_HZ * id;
}

function tone(id: number, length: number): Float32Array {
  const hz = toneHz(id);
  const out = new Float32Array(length);
  for (let j = 0; j < length; j++) out[j] = Math.sin((2 * Math.PI * ((hz * j) % SAMPLE_RATE)) / SAMPLE_RATE);
  return out;
}

export interface ToneFit {
  id: number;
  /** Peak amplitude of the fitted tone. */
  amplitude: number;
  /** Share of the segment's energy the tone explains (1 = a pure tone). */
  fit: number;
}

/**
 * The vocabulary id whose tone best explains one token's segment (least squares over
 * every id; each segment's tone starts at phase 0, so this is exact for model output).
 */
export function fitTone(segment: Float32Array): ToneFit {
  let energy = 0;
  for (const v of segment) energy += v * v;
  let best: ToneFit = { id: -1, amplitude: 0, fit: 0 };
  for (let id = 0; id < VOCAB_SIZE; id++) {
    const ref = tone(id, segment.length);
    let dot = 0;
    let norm = 0;
    for (let j = 0; j < ref.length; j++) {
      dot += segment[j]! * ref[j]!;
      norm += ref[j]! * ref[j]!;
    }
    const explained = energy > 0 && norm > 0 ? (dot * dot) / norm / energy : 0;
    if (explained > best.fit) best = { id, amplitude: dot / norm, fit: explained };
  }
  return best;
}

/** Splits a waveform into its tokens' segments; throws if the length fits no whole number of tokens. */
export function syntheticSegments(pcm: Float32Array, speed: number): Float32Array[] {
  const hop = syntheticHop(speed);
  if (pcm.length % hop !== 0) throw new Error(`${pcm.length} samples is not a whole number of ${hop}-sample tokens`);
  const out: Float32Array[] = [];
  for (let at = 0; at < pcm.length; at += hop) out.push(pcm.subarray(at, at + hop));
  return out;
}

/** The input ids (pads included) that produced `pcm` at `speed`. */
export function decodeSyntheticIds(pcm: Float32Array, speed: number): number[] {
  return syntheticSegments(pcm, speed).map((s) => fitTone(s).id);
}
