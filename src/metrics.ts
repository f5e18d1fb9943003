/**
 * Every Prometheus metric the host exposes, created on one registry per host
 * instance (tests build several hosts in one process, so nothing is global).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

export function createMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const register = [registry];
  return {
    registry,
    // pool
    workers: new Gauge({ name: 'kokoro_workers', help: 'Pool workers by state', labelNames: ['state'] as const, registers: register }),
    respawns: new Counter({ name: 'kokoro_worker_respawns_total', help: 'Workers replaced, by reason', labelNames: ['reason'] as const, registers: register }),
    zombies: new Gauge({ name: 'kokoro_worker_zombies', help: 'Terminated workers whose thread has not exited yet', registers: register }),
    recycles: new Counter({ name: 'kokoro_worker_recycles_total', help: 'Workers recycled for memory between tasks', registers: register }),
    queueDepth: new Gauge({ name: 'kokoro_queue_depth', help: 'Chunks waiting for a worker', registers: register }),
    queueWait: new Histogram({ name: 'kokoro_queue_wait_seconds', help: 'Time a chunk waited for a worker', buckets: LATENCY_BUCKETS_S, registers: register }),
    synthTime: new Histogram({ name: 'kokoro_synthesis_seconds', help: 'Time a worker spent on a chunk', buckets: LATENCY_BUCKETS_S, registers: register }),
    timeouts: new Counter({ name: 'kokoro_chunk_timeouts_total', help: 'Run deadlines that expired', registers: register }),
    crashes: new Counter({ name: 'kokoro_worker_crashes_total', help: 'Workers that died under a task', labelNames: ['kind'] as const, registers: register }),
    poolErrors: new Counter({ name: 'kokoro_pool_errors_total', help: "Errors emitted by the pool's 'error' event", registers: register }),
    onnxruntime: new Gauge({
      name: 'kokoro_onnxruntime_info',
      help: 'The onnxruntime the workers run (1): version, and source bundled (onnxruntime-node) or newer (npm run runtime:fetch)',
      labelNames: ['version', 'source'] as const,
      registers: register,
    }),
    canary: new Counter({ name: 'kokoro_canary_total', help: 'Idle canary syntheses by outcome', labelNames: ['outcome'] as const, registers: register }),
    // pipeline
    firstChunk: new Histogram({ name: 'kokoro_turn_first_chunk_seconds', help: "From a turn's first text to its first audio", buckets: LATENCY_BUCKETS_S, registers: register }),
    turnTotal: new Histogram({ name: 'kokoro_turn_total_seconds', help: "From a turn's first text to its end", buckets: LATENCY_BUCKETS_S, registers: register }),
    chunksDelivered: new Counter({ name: 'kokoro_chunks_delivered_total', help: 'Audio chunks delivered', registers: register }),
    chunksFailed: new Counter({ name: 'kokoro_chunks_failed_total', help: 'Chunks skipped after failing', labelNames: ['code'] as const, registers: register }),
    // gateway
    wsConnections: new Gauge({ name: 'kokoro_ws_connections', help: 'Open WebSocket sessions', labelNames: ['protocol'] as const, registers: register }),
    httpSpeech: new Counter({ name: 'kokoro_http_speech_requests_total', help: 'Speech requests by outcome', labelNames: ['format', 'outcome'] as const, registers: register }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
