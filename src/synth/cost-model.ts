/**
 * What a chunk costs on this host's model and plan, learned from the chunks it synthesizes:
 *
 *   computeMs(t) = a + b·t     worker time (phonemize + inference) for t estimated tokens
 *   speechMs(t)  = c·t         audible audio it yields at speed 1 (leading and trailing silence excluded)
 *
 * `t` is the chunker's *estimated* token count (src/common/token-estimate.ts), not the real
 * one, because sizes are chosen before the worker has phonemized anything. The intercept
 * `a` is real and large on Kokoro: every chunk carries ~0.8 s of generated silence, so a
 * short chunk costs far more per second of speech than a long one.
 *
 * The fit is a weighted least-squares line over decayed sums (each observation's weight
 * halves after `halfLife` more), so it follows the machine as it gets busier or quieter,
 * in O(1) memory. One worker measures two calibration sentences at start (synth.worker.ts),
 * so the first turn is already sized from this machine; every successful chunk refines it.
 * The model is an estimate for sizing, never a promise: nothing depends on it for correctness.
 */
import { estimateTokens } from '../common/token-estimate.ts';

export interface CostCurve {
  /** The line's parameters, for logs: ms per chunk, ms per token, speech ms per token. */
  readonly fixedMs: number;
  readonly msPerToken: number;
  readonly speechMsPerToken: number;
  /** Worker time to synthesize `tokens` estimated tokens, in ms. */
  computeMs(tokens: number): number;
  /** Audible speech that yields at speed 1, in ms (divide by the speed for another). */
  speechMs(tokens: number): number;
}

export interface CostObservation {
  text: string;
  /** Phonemize + inference, in the worker. */
  computeMs: number;
  /** Samples of audio, and how many of them are leading and trailing silence. */
  samples: number;
  silentSamples: number;
  sampleRate: number;
  /** The speed it was synthesized at (default 1): speech is recorded as at speed 1. */
  speed?: number;
}

/** Observations it takes before the fit is trusted (the calibration gives two). */
const MIN_OBSERVATIONS = 2;
/** Below this spread of token counts the slope is unknowable: fit a line through the origin instead. */
const MIN_TOKEN_VARIANCE = 4;

export class CostModel {
  readonly #decay: number;
  #n = 0;
  #w = 0;
  #wt = 0;
  #wtt = 0;
  #wy = 0;
  #wty = 0;
  #wSpeech = 0;

  constructor(halfLife = 64) {
    if (!(halfLife > 0)) throw new RangeError('halfLife must be positive');
    this.#decay = Math.pow(0.5, 1 / halfLife);
  }

  get observations(): number {
    return this.#n;
  }

  observe(o: CostObservation): void {
    const tokens = estimateTokens(o.text);
    if (!(tokens > 0) || !(o.computeMs >= 0) || !(o.sampleRate > 0)) return;
    const speechMs = (Math.max(0, o.samples - o.silentSamples) / o.sampleRate) * 1000 * (o.speed ?? 1);
    const d = this.#decay;
    this.#n++;
    this.#w = this.#w * d + 1;
    this.#wt = this.#wt * d + tokens;
    this.#wtt = this.#wtt * d + tokens * tokens;
    this.#wy = this.#wy * d + o.computeMs;
    this.#wty = this.#wty * d + tokens * o.computeMs;
    this.#wSpeech = this.#wSpeech * d + speechMs;
  }

  /** The current curve, or null before enough has been seen. */
  curve(): CostCurve | null {
    if (this.#n < MIN_OBSERVATIONS || this.#wt <= 0) return null;
    const meanT = this.#wt / this.#w;
    const meanY = this.#wy / this.#w;
    const varT = this.#wtt / this.#w - meanT * meanT;
    let slope: number;
    let intercept: number;
    if (varT >= MIN_TOKEN_VARIANCE) {
      slope = (this.#wty / this.#w - meanT * meanY) / varT;
      intercept = meanY - slope * meanT;
    } else {
      slope = meanY / meanT;
      intercept = 0;
    }
    // Noise can tilt a short history's line: cost never falls with length, nor goes below zero.
    if (!(slope > 0)) {
      slope = meanY / meanT;
      intercept = 0;
    }
    intercept = Math.max(0, intercept);
    const speechPerToken = this.#wSpeech / this.#wt;
    return {
      fixedMs: intercept,
      msPerToken: slope,
      speechMsPerToken: speechPerToken,
      computeMs: (tokens) => intercept + slope * tokens,
      speechMs: (tokens) => speechPerToken * tokens,
    };
  }
}
