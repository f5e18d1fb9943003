/**
 * buildApp: the whole host as a Fastify instance that is not listening yet (tests and
 * src/server.ts both call it). Closing the app drains it: readiness drops, new work is
 * refused, in-flight turns and streams get the shutdown grace period, then the rest is
 * stopped, and finally the pool closes.
 */
import { randomUUID } from 'node:crypto';
import websocket from '@fastify/websocket';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { Config } from './config.ts';
import { registerAuth } from './gateway/auth.ts';
import type { GatewayContext } from './gateway/context.ts';
import { EventLoopMonitor } from './gateway/eventloop.ts';
import { registerHealthRoutes } from './gateway/health-route.ts';
import { installErrorHandlers, sendError } from './gateway/http-errors.ts';
import { Lifecycle } from './gateway/lifecycle.ts';
import { registerMetricsRoutes } from './gateway/metrics-route.ts';
import { CARTESIA_PATH, DEEPGRAM_PATH, ELEVENLABS_PATH_PATTERN, NATIVE_WS_PATH, UNAUTHENTICATED_PATHS } from './gateway/route-paths.ts';
import { WsAdmission } from './gateway/socket/admission.ts';
import { logRouterPlan, synthesizerFor } from './synth/synthesizer.ts';
import { registerVoicesRoutes } from './gateway/voices-route.ts';
import { registerWebRoute } from './gateway/web-route.ts';
import { loggerOptions } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { deepgramKey } from './protocols/deepgram/auth.ts';
import { registerDeepgramRoute } from './protocols/deepgram/route.ts';
import { cartesiaKey } from './protocols/cartesia/auth.ts';
import { registerCartesiaRoute } from './protocols/cartesia/route.ts';
import { elevenLabsKey } from './protocols/elevenlabs/auth.ts';
import { registerElevenLabsRoutes } from './protocols/elevenlabs/route.ts';
import { nativeWsKey } from './protocols/native-ws/auth.ts';
import { registerWsRoute } from './protocols/native-ws/route.ts';
import { encodableFormats } from './protocols/openai/encoders/index.ts';
import { registerCaptionedSpeechRoute } from './protocols/openai/captioned-route.ts';
import { registerSpeechRoute } from './protocols/openai/route.ts';
// Deepgram's REST Speak is HTTP synthesis: it is registered with the OpenAI routes, under pressure.
import { registerDeepgramRestRoute } from './protocols/deepgram/rest-route.ts';
import { registerPhonemeRoutes } from './protocols/openai/phoneme-routes.ts';
import { Lexicon } from './pronunciation/lexicon.ts';
import { withLexicon } from './pronunciation/lexicon-synth.ts';
import { Phonemizer } from './pronunciation/phonemizer.ts';
import type { SynthPoolHandle } from './synth/pool-types.ts';
import { SynthPool } from './synth/pool.ts';

export interface AppDeps {
  pool?: SynthPoolHandle;
  metrics?: Metrics;
  lexicon?: Lexicon;
}

declare module 'fastify' {
  interface FastifyInstance {
    gateway: GatewayContext;
  }
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config),
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    // Node checks header/request deadlines on this interval (default 30 s): keep it under the deadline.
    http: { headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.headersTimeoutMs / 2))) },
    // Our own onRequest hook answers during a drain, with an OpenAI-style body.
    return503OnClosing: false,
    // After our drain (preClose), whatever HTTP connection is left (idle keep-alive included) is cut.
    forceCloseConnections: true,
  });

  const metrics = deps.metrics ?? createMetrics(new Registry());
  const pool = deps.pool ?? new SynthPool(config, metrics, app.log.child({ component: 'pool' }));
  const lexicon = deps.lexicon ?? (config.lexiconPath !== undefined ? new Lexicon(config.lexiconPath) : undefined);
  const routed = synthesizerFor(config, pool, app.log);
  const { routerState } = routed;
  // The lexicon rewrites each chunk on its way to synthesis, whichever protocol sent it.
  const synth = lexicon !== undefined ? withLexicon(routed.synth, lexicon) : routed.synth;
  const phonemizer = new Phonemizer();
  const lifecycle = new Lifecycle();
  const eventLoop = new EventLoopMonitor(metrics.registry);
  const admission = new WsAdmission(config, lifecycle, metrics);
  const ctx: GatewayContext = { config, pool, synth, metrics, lifecycle, admission, eventLoop, ...(routerState !== undefined ? { routerState } : {}), ...(lexicon !== undefined ? { lexicon } : {}) };
  app.decorate('gateway', ctx);
  logRouterPlan(config, app.log);

  // First: its onRequest hook marks upgrade requests, and its onResponse hook destroys the
  // socket of an upgrade refused by any later hook (auth, shutdown, connection cap).
  await app.register(websocket, {
    options: { maxPayload: config.wsMaxPayloadBytes, perMessageDeflate: false },
    // Replaces the plugin's default (close every socket at once) with our drain.
    preClose: async () => {
      await lifecycle.shutdown(config.shutdownGraceMs);
    },
    errorHandler(error, socket, request) {
      // Protocol faults (bad UTF-8, oversize frame...): ws has already sent the right close code.
      const code = (error as { code?: string }).code ?? '';
      if (code.startsWith('WS_ERR_') || code === 'ECONNRESET' || code === 'EPIPE') {
        request.log.info({ code }, 'ws protocol error');
        return;
      }
      request.log.error({ err: error }, 'ws handler error');
      if (socket.readyState === socket.OPEN) socket.close(1011, 'internal error');
    },
  });

  installErrorHandlers(app);
  const keyReaders = new Map([[NATIVE_WS_PATH, nativeWsKey], [DEEPGRAM_PATH, deepgramKey], [CARTESIA_PATH, cartesiaKey]]);
  registerAuth(app, config.apiKey, (path) => keyReaders.get(path) ?? (ELEVENLABS_PATH_PATTERN.test(path) ? elevenLabsKey : undefined));
  app.addHook('onRequest', (request, reply, done) => {
    if (!lifecycle.shuttingDown || UNAUTHENTICATED_PATHS.has(request.url.split('?')[0] ?? '')) return done();
    reply.header('connection', 'close');
    sendError(reply, 'shutting_down', 'the host is shutting down');
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  registerHealthRoutes(app, ctx);
  registerMetricsRoutes(app, ctx);
  registerVoicesRoutes(app);
  registerWebRoute(app, ctx, { formats: encodableFormats() });
  registerWsRoute(app, ctx);
  registerDeepgramRoute(app, ctx);
  registerElevenLabsRoutes(app, ctx);
  registerCartesiaRoute(app, ctx);
  await app.register(async (scoped) => {
    // Scoped to synthesis: probes and metrics must keep answering under pressure.
    await scoped.register(underPressure, {
      maxEventLoopDelay: config.maxEventLoopDelayMs,
      retryAfter: 5,
      pressureHandler: (_request, reply, type) => {
        reply.header('retry-after', '5');
        sendError(reply, 'overloaded', `the host is under pressure (${type}); retry shortly`);
      },
    });
    registerSpeechRoute(scoped, ctx);
    registerCaptionedSpeechRoute(scoped, ctx);
    registerDeepgramRestRoute(scoped, ctx);
    registerPhonemeRoutes(scoped, ctx, phonemizer);
  });

  app.addHook('onClose', async () => {
    eventLoop.close();
    await phonemizer.close();
    await pool.close();
  });
  return app;
}
