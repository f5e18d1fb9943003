/**
 * Probes. /healthz is liveness: it answers while the event loop does, whatever the
 * pool's state, so a supervisor restarts only a process that is really stuck.
 * /readyz is readiness: the pool's own reasons (warming, worker_zombie, ...) plus
 * `shutting_down`, so a load balancer stops routing here the moment a drain begins.
 */
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isSyntheticModel } from '../config.ts';
import type { RuntimeInfo } from '../runtime/types.ts';
import type { GatewayContext } from './context.ts';
import { HEALTHZ_PATH, READYZ_PATH } from './route-paths.ts';

export function readiness(ctx: GatewayContext): { ready: boolean; reasons: string[] } {
  const reasons = [...ctx.pool.health().reasons];
  if (ctx.lifecycle.shuttingDown) reasons.push('shutting_down');
  return { ready: reasons.length === 0, reasons };
}

/** Which onnxruntime serves; a fallback from the newer one is flagged (its reason names paths: it is in the log, not in this public probe). */
function onnxruntime(runtime: RuntimeInfo | undefined): object | null {
  if (runtime === undefined) return null;
  const reason = runtime.fallbackReason === undefined ? {} : { fallback: true };
  return { version: runtime.version, source: runtime.source, ...reason };
}

export function registerHealthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get(HEALTHZ_PATH, (_request, reply) => {
    reply.header('cache-control', 'no-store').send({ status: 'ok', uptime_s: Math.round(process.uptime()) });
  });

  app.get(READYZ_PATH, (_request, reply) => {
    const health = ctx.pool.health();
    const { ready, reasons } = readiness(ctx);
    const body = {
      ready,
      reasons,
      pool: {
        plan: health.plan,
        live_workers: health.liveWorkers,
        loaded_workers: health.loadedWorkers,
        busy_workers: health.busyWorkers,
        queue_depth: health.queueDepth,
        in_flight: health.inFlight,
        zombies: health.zombies.length,
        respawns: health.respawns,
        last_canary: health.lastCanary,
      },
      onnxruntime: onnxruntime(ctx.pool.runtime),
      // The file name only (no path): the playground's banner says when it is the synthetic stand-in.
      model: { file: basename(ctx.config.modelPath), synthetic: isSyntheticModel(ctx.config.modelPath) },
      ...(ctx.routerState !== undefined ? { router: ctx.routerState() } : {}),
    };
    reply.code(ready ? 200 : 503).header('cache-control', 'no-store').send(body);
  });
}
