/** The soak's periodic samples of the host (RSS, threads, fds, event loop, pool) and the slope fit over them. */
import { sumMetric, type HostProcess } from '../../harness/host-process.ts';

export const CSV_HEADER = 't_s,rss_mb,threads,fds,eventloop_p99_ms,queue_depth,zombies,respawns,ws_connections,turns,chunks_delivered,chunks_failed\n';

export interface Sample {
  t: number;
  rssMb: number;
  threads: number;
  fds: number;
  p99: number;
  queue: number;
  zombies: number;
  respawns: number;
  ws: number;
}

export async function sample(host: HostProcess, t0: number): Promise<Sample> {
  const [loop, metrics] = await Promise.all([host.get('/debug/eventloop?reset=1'), host.metrics()]);
  const proc = host.procStatus();
  return {
    t: (performance.now() - t0) / 1000,
    rssMb: proc.rssKb / 1024,
    threads: proc.threads,
    fds: host.fdCount(),
    p99: Number(loop.body.p99_ms),
    queue: sumMetric(metrics, 'kokoro_queue_depth'),
    zombies: sumMetric(metrics, 'kokoro_worker_zombies'),
    respawns: sumMetric(metrics, 'kokoro_worker_respawns_total'),
    ws: sumMetric(metrics, 'kokoro_ws_connections'),
  };
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}
