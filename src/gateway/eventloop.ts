/**
 * Event-loop delay as the host sees it, for the bench and for operators: a
 * perf_hooks histogram exported as p50/p99/max gauges in /metrics and as JSON on
 * GET /debug/eventloop (`?reset=1` starts a new measurement window).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

export interface EventLoopReport {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  samples: number;
}

const NS_PER_MS = 1e6;

export class EventLoopMonitor {
  readonly #histogram: IntervalHistogram;

  constructor(registry: Registry, resolutionMs = 10) {
    this.#histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.#histogram.enable();
    const gauge = (name: string, help: string, pick: (r: EventLoopReport) => number) => {
      if (registry.getSingleMetric(name) !== undefined) return;
      const read = () => pick(this.report()) / 1000;
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    };
    gauge('kokoro_event_loop_delay_p50_seconds', 'Event-loop delay p50 since the last reset', (r) => r.p50_ms);
    gauge('kokoro_event_loop_delay_p99_seconds', 'Event-loop delay p99 since the last reset', (r) => r.p99_ms);
    gauge('kokoro_event_loop_delay_max_seconds', 'Event-loop delay max since the last reset', (r) => r.max_ms);
  }

  report(): EventLoopReport {
    const h = this.#histogram;
    const empty = h.count === 0;
    const ms = (ns: number) => (empty ? 0 : Math.round((ns / NS_PER_MS) * 1000) / 1000);
    return { p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max), samples: h.count };
  }

  reset(): void {
    this.#histogram.reset();
  }

  close(): void {
    this.#histogram.disable();
  }
}
