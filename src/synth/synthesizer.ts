/**
 * What turns synthesize through: the local pool alone, or, when KOKORO_FALLBACK_URL is
 * set, the router that sends work upstream while the pool's breaker is open.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { SynthPoolHandle } from './pool-types.ts';
import { createRouter } from './router.ts';
import type { Synthesizer } from './types.ts';
import { UpstreamSpeechProvider } from './upstream.ts';

export function synthesizerFor(config: Config, pool: SynthPoolHandle, log: FastifyBaseLogger): { synth: Synthesizer; routerState?: () => unknown } {
  if (config.fallbackUrl === undefined) return { synth: pool };
  const upstream = new UpstreamSpeechProvider({
    url: config.fallbackUrl,
    model: config.fallbackModel,
    timeoutMs: config.fallbackTimeoutMs,
    ...(config.fallbackApiKey !== undefined ? { apiKey: config.fallbackApiKey } : {}),
  });
  const router = createRouter({
    local: pool,
    upstream,
    breaker: { failures: config.breakerFailures, windowMs: config.breakerWindowMs, cooldownMs: config.breakerCooldownMs },
    log: log.child({ component: 'router' }),
  });
  return { synth: router, routerState: () => router.state() };
}

export function logRouterPlan(config: Config, log: FastifyBaseLogger): void {
  if (config.fallbackUrl === undefined) return;
  log.info({ fallback: new URL(config.fallbackUrl).origin, model: config.fallbackModel }, 'upstream fallback enabled');
}
