/**
 * A bounded mixed load through a load balancer: WebSocket clients that each speak turns
 * one after another on a session (reconnecting when the session ends), and HTTP clients
 * that POST /v1/audio/speech one after another. Every turn is recorded with the host that
 * served it (HAProxy's X-Kokoro-Backend header on the 101 or the response) and how it ended.
 *
 * What a well-behaved client does, and this one does: a session closed with 1001 (the host
 * drains) before any frame of the turn it just sent came back was never given that turn,
 * so the turn is sent again on a new session (counted in `resent`, never hidden). Anything
 * else that ends a turn without its tts_done is a failure.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';

export type Outcome = 'ok' | 'connection_error' | 'error';

export interface TurnRecord {
  kind: 'ws' | 'http';
  client: number;
  backend: string | undefined;
  /** performance.now() when the turn was sent / the request started. */
  startedAt: number;
  /** When the connection that carried it was asked for: its session's upgrade, or the request itself. */
  connectedAt: number;
  endedAt: number;
  outcome: Outcome;
  detail: string;
}

export interface SessionRecord {
  client: number;
  backend: string | undefined;
  /** performance.now() when the upgrade request was sent. */
  openedAt: number;
}

export interface LoadOptions {
  /** ws://lb/v1/tts/ws and http://lb */
  wsUrl: string;
  base: string;
  wsClients: number;
  httpClients: number;
  /** A client's pause between two turns: a listener does not speak back-to-back. */
  pauseMs: number;
  /** Bounds the run whatever happens. */
  maxTurnsPerClient: number;
  /** A turn with no end within this is a failure (`error`, "no end"). */
  turnTimeoutMs: number;
}

const TEXT = 'The load balancer sends this turn to one of three hosts. Every chunk comes back in order.';

export class LoadRun extends EventEmitter {
  readonly turns: TurnRecord[] = [];
  readonly sessions: SessionRecord[] = [];
  resent = 0;
  readonly #opts: LoadOptions;
  #stopping = false;
  readonly #loops: Promise<void>[] = [];
  readonly #open = new Set<WebSocket>();

  constructor(opts: LoadOptions) {
    super();
    this.#opts = opts;
  }

  start(): this {
    for (let i = 0; i < this.#opts.wsClients; i++) this.#loops.push(this.#wsLoop(i));
    for (let i = 0; i < this.#opts.httpClients; i++) this.#loops.push(this.#httpLoop(this.#opts.wsClients + i));
    return this;
  }

  /** No new turn from now on; resolves when every turn in flight has ended and every socket is closed. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#loops);
  }

  /** Resolves once `count` more turns matching `match` have ended (turns end on their own: an event, not a poll). */
  awaitTurns(count: number, match: (t: TurnRecord) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const onTurn = (t: TurnRecord) => {
        if (!match(t) || ++seen < count) return;
        clearTimeout(timer);
        this.off('turn', onTurn);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('turn', onTurn);
        reject(new Error(`${seen} of ${count} turns (${what}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('turn', onTurn);
    });
  }

  #record(turn: TurnRecord): void {
    this.turns.push(turn);
    this.emit('turn', turn);
  }

  #pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.#opts.pauseMs));
  }

  async #wsLoop(client: number): Promise<void> {
    let session: Session | undefined;
    let connectedAt = 0;
    let n = 0;
    while (!this.#stopping && n < this.#opts.maxTurnsPerClient) {
      const startedAt = performance.now();
      if (session === undefined || session.closedWith !== undefined) {
        try {
          connectedAt = startedAt;
          session = await Session.open(this.#opts.wsUrl, this.#open);
          this.sessions.push({ client, backend: session.backend, openedAt: startedAt });
        } catch (err) {
          this.#record({ kind: 'ws', client, backend: undefined, startedAt, connectedAt: startedAt, endedAt: performance.now(), outcome: 'error', detail: `upgrade refused: ${(err as Error).message}` });
          n++;
          await this.#pause();
          continue;
        }
      }
      const result = await session.turn(`c${client}-t${n}`, TEXT, this.#opts.turnTimeoutMs);
      if (result.outcome === 'not_accepted') {
        this.resent++;
        continue;
      }
      n++;
      this.#record({ kind: 'ws', client, backend: session.backend, startedAt, connectedAt, endedAt: performance.now(), outcome: result.outcome, detail: result.detail });
      if (result.outcome !== 'ok') session.terminate();
      await this.#pause();
    }
    session?.close();
    await session?.closed;
  }

  async #httpLoop(client: number): Promise<void> {
    for (let n = 0; !this.#stopping && n < this.#opts.maxTurnsPerClient; n++) {
      const startedAt = performance.now();
      let backend: string | undefined;
      let outcome: Outcome = 'ok';
      let detail = '';
      try {
        const res = await fetch(`${this.#opts.base}/v1/audio/speech`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'tts-1', input: TEXT, voice: 'af_heart', response_format: 'pcm' }),
          signal: AbortSignal.timeout(this.#opts.turnTimeoutMs),
        });
        backend = res.headers.get('x-kokoro-backend') ?? undefined;
        try {
          const body = await res.arrayBuffer();
          if (res.status !== 200) [outcome, detail] = ['error', `HTTP ${res.status}: ${Buffer.from(body).toString('utf8').slice(0, 200)}`];
          else if (body.byteLength === 0) [outcome, detail] = ['error', 'HTTP 200 with no audio'];
        } catch (err) {
          [outcome, detail] = ['connection_error', `body cut: ${causeOf(err)}`];
        }
      } catch (err) {
        [outcome, detail] = [(err as Error).name === 'TimeoutError' ? 'error' : 'connection_error', causeOf(err)];
      }
      this.#record({ kind: 'http', client, backend, startedAt, connectedAt: startedAt, endedAt: performance.now(), outcome, detail });
      await this.#pause();
    }
  }
}

function causeOf(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause !== undefined ? `${e.message}: ${e.cause.message}` : e.message;
}

type TurnResult = { outcome: Outcome | 'not_accepted'; detail: string };

/** One WebSocket session through the balancer, with the backend that accepted it. */
export class Session {
  readonly ws: WebSocket;
  readonly backend: string | undefined;
  readonly closed: Promise<void>;
  closedWith: number | undefined;
  /** Listeners for this session's frames (the turn in progress). */
  #onFrame: ((frame: Record<string, unknown> | 'audio') => void) | undefined;
  #onClose: ((code: number) => void) | undefined;

  private constructor(ws: WebSocket, backend: string | undefined, open: Set<WebSocket>) {
    this.ws = ws;
    this.backend = backend;
    open.add(ws);
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number) => {
        this.closedWith = code;
        open.delete(ws);
        this.#onClose?.(code);
        resolve();
      });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onFrame?.(isBinary ? 'audio' : (JSON.parse(data.toString('utf8')) as Record<string, unknown>)));
  }

  /** Opens a session and waits for its `ready`; rejects on a refused upgrade. */
  static open(url: string, open: Set<WebSocket> = new Set()): Promise<Session> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      let backend: string | undefined;
      ws.on('error', (err) => reject(err));
      ws.once('upgrade', (res) => (backend = headerOf(res.headers['x-kokoro-backend'])));
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
      ws.once('open', () => {
        const session = new Session(ws, backend, open);
        session.#onFrame = (f) => {
          if (f !== 'audio' && f.type === 'ready') {
            session.#onFrame = undefined;
            resolve(session);
          }
        };
      });
    });
  }

  /** Sends a whole turn (speak) and resolves with how it ended. */
  turn(turnId: string, text: string, timeoutMs: number): Promise<TurnResult> {
    const result = this.#await(turnId, timeoutMs);
    this.send({ type: 'speak', text, turn_id: turnId });
    return result;
  }

  /** Resolves with how turn `turnId` (already sent, or about to be) ended. */
  #await(turnId: string, timeoutMs: number): Promise<TurnResult> {
    return new Promise((resolve) => {
      let frames = 0;
      const finish = (r: TurnResult) => {
        clearTimeout(timer);
        this.#onFrame = undefined;
        this.#onClose = undefined;
        resolve(r);
      };
      const timer = setTimeout(() => finish({ outcome: 'error', detail: `no end within ${timeoutMs} ms` }), timeoutMs);
      this.#onFrame = (f) => {
        if (f === 'audio') return void frames++;
        if (f.turn_id !== turnId && f.type !== 'error') return;
        if (f.turn_id === turnId) frames++;
        if (f.type === 'tts_done') finish(f.failed === 0 ? { outcome: 'ok', detail: '' } : { outcome: 'error', detail: `tts_done with ${String(f.failed)} failed chunks` });
        // Refused at the door while draining: the session closes next, the turn was never opened.
        else if (f.type === 'error' && f.code === 'shutting_down' && frames <= (f.turn_id === turnId ? 1 : 0)) finish({ outcome: 'not_accepted', detail: 'shutting_down' });
        else if (f.type === 'error' && f.recoverable === false) finish({ outcome: 'error', detail: `${String(f.code)}: ${String(f.message)}` });
      };
      this.#onClose = (code) => finish(code === 1001 && frames === 0 ? { outcome: 'not_accepted', detail: 'closed 1001 before the turn began' } : { outcome: 'connection_error', detail: `closed ${code} mid-turn` });
      if (this.closedWith !== undefined) this.#onClose(this.closedWith);
    });
  }

  /** A streamed turn: text now, the rest (and the flush) later with `finishTurn`. */
  beginTurn(turnId: string, text: string, timeoutMs: number): { firstAudio: Promise<void>; ended: Promise<TurnResult> } {
    let audio: () => void = () => undefined;
    const firstAudio = new Promise<void>((resolve) => (audio = resolve));
    const ended = this.#await(turnId, timeoutMs);
    const inner = this.#onFrame!;
    this.#onFrame = (f) => {
      if (f === 'audio') audio();
      inner(f);
    };
    this.send({ type: 'text', text, turn_id: turnId });
    return { firstAudio, ended };
  }

  finishTurn(turnId: string, text: string): void {
    this.send({ type: 'text', text, turn_id: turnId });
    this.send({ type: 'flush', turn_id: turnId });
  }

  send(message: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
