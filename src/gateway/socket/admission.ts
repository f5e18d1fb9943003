/**
 * Admission of WebSocket connections, one for the whole host and shared by every
 * WebSocket route (native, Deepgram, ElevenLabs, Cartesia): no upgrade while shutting down,
 * one cap (KOKORO_MAX_CONNECTIONS) over live sessions of every protocol plus upgrades
 * admitted but not yet handed to a session, and a live session's bookkeeping (the
 * connections gauge, the drain) from its handshake to its close.
 *
 * Refusals happen before the handshake, as plain HTTP: a WebSocket client sees the status.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Metrics } from '../../metrics.ts';
import { sendError } from '../http-errors.ts';
import type { Drainable, Lifecycle } from '../lifecycle.ts';

export const WS_PROTOCOLS = ['v1', 'deepgram', 'elevenlabs', 'cartesia'] as const;
export type WsProtocol = (typeof WS_PROTOCOLS)[number];

export interface AdmittedSession extends Drainable {
  /** Resolves once the session has closed and released everything. */
  readonly closed: Promise<void>;
}

export class WsAdmission {
  readonly #config: Pick<Config, 'maxConnections'>;
  readonly #lifecycle: Lifecycle;
  readonly #metrics: Metrics;
  #live = 0;
  #reserved = 0;

  constructor(config: Pick<Config, 'maxConnections'>, lifecycle: Lifecycle, metrics: Metrics) {
    this.#config = config;
    this.#lifecycle = lifecycle;
    this.#metrics = metrics;
    for (const protocol of WS_PROTOCOLS) metrics.wsConnections.set({ protocol }, 0);
  }

  /**
   * Before the handshake: refuses with 503 while shutting down or at the cap (the reply is
   * sent and undefined returned), else reserves a slot and returns its release. An upgrade
   * that never reaches its handler (a failed handshake) releases when its socket closes.
   */
  reserve(request: FastifyRequest, reply: FastifyReply): (() => void) | undefined {
    if (this.#lifecycle.shuttingDown) {
      sendError(reply, 'shutting_down', 'the host is shutting down');
      return undefined;
    }
    const limit = this.#config.maxConnections;
    if (this.#live + this.#reserved >= limit) {
      request.log.warn({ limit }, 'websocket connection refused: at the connection limit');
      sendError(reply, 'overloaded', `the host is at its WebSocket connection limit (${limit}); retry later`);
      return undefined;
    }
    this.#reserved++;
    let held = true;
    const release = () => {
      if (held) this.#reserved--;
      held = false;
    };
    request.raw.socket.once('close', release);
    return release;
  }

  /** The handshake is done and the session started: its reserved slot becomes a live one until it closes. */
  adopt(session: AdmittedSession, protocol: WsProtocol, release: () => void): void {
    release();
    this.#live++;
    this.#metrics.wsConnections.inc({ protocol });
    void session.closed.then(() => {
      this.#live--;
      this.#lifecycle.delete(session);
      this.#metrics.wsConnections.dec({ protocol });
    });
    this.#lifecycle.add(session);
  }
}
