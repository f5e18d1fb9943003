/**
 * The canary: an idle pool synthesizes a tiny chunk every KOKORO_CANARY_INTERVAL_MS, and
 * readiness needs it to succeed (pool-health.ts). It is armed whenever the pool falls
 * idle and runs only while the pool still is: it never competes with real work.
 */
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { HealthTracker } from './pool-health.ts';
import type { SynthesizeRequest } from './types.ts';

export const CANARY_OWNER = '__canary';

export interface CanaryDeps {
  config: Pick<Config, 'canaryIntervalMs' | 'canaryTimeoutMs'>;
  health: HealthTracker;
  metrics: Pick<Metrics, 'canary'>;
  log: { error(obj: object, msg: string): void };
  /** The pool has nothing queued or running and is not closing. */
  idle(): boolean;
  /** The pool's own submit (validation, queue, deadlines): the canary is an ordinary chunk. */
  submit(req: SynthesizeRequest): Promise<unknown>;
}

export class Canary {
  readonly #deps: CanaryDeps;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(deps: CanaryDeps) {
    this.#deps = deps;
  }

  /** (Re)starts the interval if the pool is idle; any earlier timer is dropped. */
  arm(): void {
    clearTimeout(this.#timer);
    if (this.#closed || !this.#deps.idle()) return;
    this.#timer = setTimeout(() => void this.#run(), this.#deps.config.canaryIntervalMs);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    const { health, metrics, log, config } = this.#deps;
    if (this.#closed || !this.#deps.idle()) return;
    const started = health.canaryStarted();
    const timeout = AbortSignal.timeout(config.canaryTimeoutMs);
    try {
      await this.#deps.submit({ text: 'Hi.', voice: 'af_heart', speed: 1, owner: CANARY_OWNER, signal: timeout });
      health.canaryFinished(started, true);
      metrics.canary.inc({ outcome: 'ok' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      health.canaryFinished(started, false, timeout.aborted ? 'canary timed out' : message);
      metrics.canary.inc({ outcome: 'failed' });
      log.error({ err: message }, 'canary synthesis failed');
    }
  }
}
