/**
 * The host of the reliability suite's protocol and security files (matrix section B): the
 * real host as a child process with an API key (every client presents it), a short ping
 * interval and small limits, and the clients and probes those files use against it.
 */
import type { Test } from 'tap';
import { HostProcess, until } from '../../harness/host-process.ts';
import { audioChunks, jsonFrames, WsClient, type Frame } from './gateway.ts';

export const API_KEY = 'reliability-key';
export const AUTH = { authorization: `Bearer ${API_KEY}` };
export const PING_MS = 400;
export const MAX_CONNECTIONS = 24;
export const MAX_TURN_CHARS = 20_000;
export const MAX_PAYLOAD = 65_536;
export const HEADERS_TIMEOUT_MS = 1000;
export const BODY_LIMIT = 65_536;
export const SENTENCE = 'This sentence becomes about a second of audio. ';

/** Starts the host; the test's teardown stops it and asserts it still shuts down gracefully. */
export async function startReliabilityHost(t: Test): Promise<ReliabilityHost> {
  const host = await HostProcess.start({
    env: {
      KOKORO_API_KEY: API_KEY,
      KOKORO_WS_PING_INTERVAL_MS: String(PING_MS),
      KOKORO_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      KOKORO_MAX_TURN_CHARS: String(MAX_TURN_CHARS),
      KOKORO_WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
      KOKORO_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      KOKORO_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    },
  });
  t.teardown(async () => {
    const status = await host.stop();
    // After every fault the file caused, the host still shuts down gracefully.
    if (status.code !== 0) throw new Error(`the host did not exit 0 (${status.signal ?? status.code}); stderr: ${host.stderrTail()}`);
  });
  return new ReliabilityHost(host);
}

export class ReliabilityHost {
  constructor(readonly host: HostProcess) {}

  /** A native socket with the key, its ready frame read. */
  async open(t: Test, query = ''): Promise<WsClient> {
    const client = await WsClient.open(`${this.host.wsUrl}${query}`, { headers: AUTH });
    t.teardown(() => client.ws.terminate());
    await client.json('ready');
    return client;
  }

  /** Every frame of one turn up to its tts_done; asserts in-order audio. */
  async speak(t: Test, client: WsClient, text: string, turnId: string, ms = 30_000): Promise<{ frames: Frame[]; done: Record<string, unknown> }> {
    client.send({ type: 'speak', text, turn_id: turnId });
    const frames = await client.until((d) => d.type === 'tts_done' && d.turn_id === turnId, ms);
    const indices = audioChunks(frames).filter((c) => c.meta.turn_id === turnId).map((c) => c.meta.index as number);
    t.same(indices, [...indices].sort((a, b) => a - b), `${turnId}: audio in index order`);
    return { frames, done: jsonFrames(frames).at(-1)! };
  }

  /** Tasks the pool has dispatched so far (each run observes the queue-wait histogram once). */
  poolTasks(): Promise<number> {
    return this.host.metric('kokoro_queue_wait_seconds_count');
  }

  /** The pool has nothing queued or running (checked over HTTP: no event reaches the test). */
  poolIdle(ms = 20_000): Promise<true> {
    return until(async () => ((await this.host.pool()).in_flight === 0 ? true : undefined), ms, 'pool idle');
  }

  /** Exactly `n` native sessions are open (the gauge is read over HTTP). */
  wsSessions(n: number, ms = 10_000): Promise<true> {
    return until(async () => ((await this.host.metric('kokoro_ws_connections')) === n ? true : undefined), ms, `${n} WebSocket sessions`);
  }
}
