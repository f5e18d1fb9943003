/**
 * What the pool learns of its own load, for the chunk sizer (src/gateway/turn/chunking.ts):
 * the cost of a chunk on this model and plan (CostModel, fed by a worker's calibration runs
 * and every successful chunk) and the recent busy share of the plan's workers (BusyMeter).
 */
import type { SynthSuccess } from '../shared/protocol.ts';
import { BusyMeter } from './busy-meter.ts';
import { CostModel, type CostCurve } from './cost-model.ts';
import type { PoolLogger } from './pool-types.ts';
import type { LoadedEvent } from './worker-threads.ts';

/** The busy share is averaged over about this long: a few chunks of the genuine model. */
const UTILIZATION_TAU_MS = 10_000;

export class PoolLoad {
  readonly #costs = new CostModel();
  readonly #busy = new BusyMeter(UTILIZATION_TAU_MS);
  readonly #log: PoolLogger;

  constructor(log: PoolLogger) {
    this.#log = log;
  }

  /** The measured cost of a chunk, or null before any was measured. */
  curve(): CostCurve | null {
    return this.#costs.curve();
  }

  /** The recent share of the plan's workers that were busy, 0 to 1 (abandoned threads excluded). */
  utilization(): number {
    return this.#busy.value(performance.now());
  }

  /** The share busy from now on. */
  busyNow(share: number): void {
    this.#busy.set(performance.now(), share);
  }

  /** A worker's calibration runs at start (its 'loaded' event). */
  calibrated(event: LoadedEvent): void {
    if (event.calibration === undefined) return;
    for (const run of event.calibration) this.#costs.observe(run);
    const c = this.#costs.curve();
    if (c === null) return;
    const round = (n: number) => Math.round(n * 10) / 10;
    this.#log.info({ fixedMs: round(c.fixedMs), msPerToken: round(c.msPerToken), speechMsPerToken: round(c.speechMsPerToken) }, 'chunk cost calibrated');
  }

  /** A chunk synthesized: what it cost. */
  chunkDone(req: { text: string; speed: number }, result: SynthSuccess): void {
    const silentSamples = result.silence.lead + result.silence.trail;
    const computeMs = result.timings.phonemizeMs + result.timings.inferenceMs;
    this.#costs.observe({ text: req.text, computeMs, samples: result.samples, silentSamples, sampleRate: result.sampleRate, speed: req.speed });
  }
}
