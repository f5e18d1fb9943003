/**
 * GET /metrics (Prometheus text of the host's registry: default Node metrics, pool,
 * pipeline and gateway metrics, event-loop delay) and GET /debug/eventloop.
 */
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from './context.ts';
import { METRICS_PATH } from './route-paths.ts';

export function registerMetricsRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const registry = ctx.metrics.registry;

  app.get(METRICS_PATH, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(text);
  });

  app.get('/debug/eventloop', (request, reply) => {
    const report = ctx.eventLoop.report();
    const reset = (request.query as Record<string, unknown> | undefined)?.reset;
    if (reset === '1' || reset === 'true') ctx.eventLoop.reset();
    reply.header('cache-control', 'no-store').send(report);
  });
}
