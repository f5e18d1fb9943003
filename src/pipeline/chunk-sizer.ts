/**
 * How long each chunk of a turn may be, from the host's measured cost curve
 * (src/synth/cost-model.ts), so a listener hears the first words soon and never waits at a join:
 *
 *   chunk 0   the longest that computes within `firstComputeMs` (short: it is all the listener waits for)
 *   chunk n   the longest that is ready before the audio already scheduled finishes playing
 *
 * The second rule is a small simulation of the turn on `workers` parallel workers: each
 * chunk starts when a worker frees up, is ready `computeMs(t)` later, and plays after the
 * chunk before it (plus the join's gap). Chunk n may take what is left between the time a
 * worker frees up and the end of the audio scheduled so far, times `safety` for the
 * curve's error. The budget grows as audio accumulates, so sizes grow through the turn, and
 * a slow machine gets smaller chunks than a fast one.
 *
 * When no size fits (the curve says an underrun is coming whatever we do: a busy pool, a slow
 * machine), limit() says so with null and the chunker keeps its fixed schedule of long chunks.
 * Smaller chunks would stall less this once but cost more per second of speech (each carries
 * the fixed part), so on an overloaded host they would make every later join worse. The first
 * chunk is the exception: the listener waits for all of it, so it takes the smallest size.
 *
 * Nor does a later chunk go below the break-even length a/(c - b): the length at which one
 * worker synthesizes a chunk in the time it plays (compute a + b·t, speech c·t). Below it every
 * chunk costs more than it gives, the budgets of the chunks after it shrink, and the turn falls
 * behind in a shower of small chunks (measured on the genuine model: "Your order" | "shipped
 * this morning and" | ..., each paying ~0.7 s of fixed cost). Such a budget is answered with null
 * too. A machine slower than real time (c <= b) has no break-even: fixed schedule after the first.
 * Limits are bounds: the chunker still ends a chunk at a sentence end before them.
 *
 * The simulation assumes the text is there when a worker is free; text still arriving from
 * an LLM only makes chunks end earlier, at sentence ends, never longer than these bounds.
 */
import type { CostCurve } from '../synth/cost-model.ts';

export interface ChunkSizerOptions {
  curve: CostCurve;
  /** Workers this turn can expect to use at once. */
  workers: number;
  /** Compute budget of the first chunk, in ms. */
  firstComputeMs: number;
  /** Bounds, in estimated tokens. */
  minTokens: number;
  maxTokens: number;
  /** Fraction of a budget a chunk may use (the curve is an estimate). */
  safety: number;
  /** Silence expected between chunks when they play. */
  gapMs: number;
  /** The turn's speaking speed (speech at speed 2 plays in half the time). */
  speed: number;
}

export class ChunkSizer {
  readonly #o: ChunkSizerOptions;
  /** When each simulated worker is next free, in ms from the turn's start. */
  readonly #free: number[];
  #playEnd = 0;
  #index = 0;

  constructor(opts: ChunkSizerOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError('workers must be a positive integer');
    if (!(opts.minTokens >= 1) || !(opts.maxTokens >= opts.minTokens)) throw new RangeError('need 1 <= minTokens <= maxTokens');
    if (!(opts.safety > 0 && opts.safety <= 1)) throw new RangeError('safety must be in (0, 1]');
    if (!(opts.speed > 0)) throw new RangeError('speed must be positive');
    this.#o = opts;
    this.#free = new Array<number>(opts.workers).fill(0);
  }

  /** The token bound for the next chunk, or null when none is ready in time (keep the fixed schedule). */
  limit(): number | null {
    const o = this.#o;
    if (this.#index === 0) return this.#largestWithin(o.firstComputeMs) ?? o.minTokens;
    const budget = (this.#playEnd - Math.min(...this.#free)) * o.safety;
    const sized = this.#largestWithin(budget);
    return sized === null || sized < this.#breakEven() ? null : sized;
  }

  /** Tokens at which one worker keeps up with playback (Infinity when it never does). */
  #breakEven(): number {
    const { curve, speed } = this.#o;
    const gain = curve.speechMsPerToken / speed - curve.msPerToken;
    return gain > 0 ? curve.fixedMs / gain : Infinity;
  }

  /** The chunker cut a chunk of `tokens` estimated tokens: advance the simulation. */
  commit(tokens: number): void {
    const { curve, gapMs, speed } = this.#o;
    const worker = this.#free.indexOf(Math.min(...this.#free));
    const ready = this.#free[worker]! + curve.computeMs(tokens);
    this.#free[worker] = ready;
    const start = Math.max(ready, this.#playEnd);
    this.#playEnd = start + curve.speechMs(tokens) / speed + (this.#index === 0 ? 0 : gapMs);
    this.#index++;
  }

  /** The largest t in [minTokens, maxTokens] with computeMs(t) <= budget, or null when none is. */
  #largestWithin(budgetMs: number): number | null {
    const { curve, minTokens, maxTokens } = this.#o;
    if (curve.computeMs(minTokens) > budgetMs) return null;
    let lo = minTokens;
    let hi = maxTokens;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (curve.computeMs(mid) <= budgetMs) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
