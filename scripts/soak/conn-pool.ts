/** The soak's connections: idle ones are reused, at most MAX_CONNECTIONS open at once. */
import { within } from '../../harness/host-process.ts';
import { SoakConn } from './conn.ts';

export const TURN_BOUND_MS = 180_000;
export const MAX_CONNECTIONS = 24;

/** Idle connections, reused; at most MAX_CONNECTIONS open at once (the host's own cap is higher). */
export class ConnPool {
  readonly #url: string;
  readonly #idle: SoakConn[] = [];
  readonly #all = new Set<SoakConn>();

  constructor(url: string) {
    this.#url = url;
  }

  get size(): number {
    return this.#all.size;
  }

  /** An idle open connection, a new one, or null at the cap. */
  async take(): Promise<SoakConn | null> {
    while (this.#idle.length > 0) {
      const conn = this.#idle.pop()!;
      if (conn.open) return conn;
      this.#all.delete(conn);
    }
    if (this.#all.size >= MAX_CONNECTIONS) return null;
    const conn = await SoakConn.open(this.#url);
    this.#all.add(conn);
    void conn.closed.then(() => this.#all.delete(conn));
    return conn;
  }

  give(conn: SoakConn): void {
    if (conn.open) this.#idle.push(conn);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#all].map((c) => within(c.close(), 5000, 'a connection to close').catch(() => c.ws.terminate())));
  }
}
