/**
 * Liveness of one WebSocket: a ping every interval, two missed pongs in a row mean a dead
 * peer; and an idle clock that runs only while the session has no open turn.
 */
import type { WebSocket } from 'ws';

export interface KeepaliveOptions {
  pingIntervalMs: number;
  idleTimeoutMs: number;
  /** True while a turn is open: an open turn is never idle. */
  busy(): boolean;
  onDead(): void;
  onIdle(): void;
}

export class Keepalive {
  readonly #socket: WebSocket;
  readonly #ping: NodeJS.Timeout;
  readonly #idle: NodeJS.Timeout;
  readonly #onPong = () => {
    this.#awaitingPong = false;
    this.#missed = 0;
  };
  #awaitingPong = false;
  #missed = 0;

  constructor(socket: WebSocket, o: KeepaliveOptions) {
    this.#socket = socket;
    socket.on('pong', this.#onPong);
    this.#ping = setInterval(() => {
      if (this.#awaitingPong && ++this.#missed >= 2) {
        o.onDead();
        return;
      }
      this.#awaitingPong = true;
      if (socket.readyState === socket.OPEN) socket.ping();
    }, o.pingIntervalMs);
    // Fires for a session with no open turn only; the end of the last turn re-arms it.
    this.#idle = setTimeout(() => {
      if (!o.busy()) o.onIdle();
    }, o.idleTimeoutMs);
  }

  /** A message arrived, or the last open turn ended: the idle clock restarts. */
  restartIdle(): void {
    this.#idle.refresh();
  }

  close(): void {
    clearInterval(this.#ping);
    clearTimeout(this.#idle);
    this.#socket.off('pong', this.#onPong);
  }
}
