/**
 * One WebSocket connection of the soak (protocol v1, /work/shared/protocol/ws-v1.md),
 * speaking one turn at a time and accounting for every chunk of it: delivered (tts_meta
 * plus a binary frame of the announced size), failed (an `error` with that index and a
 * code), or neither (a gap). Frames are checked as they arrive; nothing is kept beyond
 * the turn in progress.
 */
import WebSocket from 'ws';

/**
 * How a turn ended. `cancelled` and `client_disconnect` are the soak's own barge-ins (a
 * cancel, or the socket dropped, after the first audio); `disconnected` is the host closing.
 */
export type TurnEnd = 'done' | 'rejected' | 'disconnected' | 'hung' | 'cancelled' | 'client_disconnect';

/** What the client does once the turn's first audio arrives. */
export type Interrupt = 'cancel' | 'disconnect' | undefined;

export interface TurnRecord {
  id: string;
  end: TurnEnd;
  /** Chunks the host announced in tts_done. */
  chunks: number;
  delivered: number;
  failed: number;
  failedCodes: string[];
  /** Indices neither delivered nor failed. */
  gaps: number;
  /** An index delivered or failed twice, or audio out of index order. */
  orderViolations: number;
  /** A binary frame whose size differs from its tts_meta, or one with no tts_meta before it. */
  sizeMismatches: number;
  /** A refusal (no turn opened): its code. */
  rejectedCode?: string;
  ms: number;
}

interface Pending {
  id: string;
  started: number;
  seen: Map<number, 'delivered' | 'failed'>;
  lastDelivered: number;
  failedCodes: string[];
  orderViolations: number;
  sizeMismatches: number;
  meta: { index: number; bytes: number } | undefined;
  interrupt: Interrupt;
  interrupted: boolean;
  timer: NodeJS.Timeout;
  resolve(record: TurnRecord): void;
}

const BYTES_PER_SAMPLE = 2; // pcm_s16le, the session default

export class SoakConn {
  readonly ws: WebSocket;
  readonly closed: Promise<number>;
  sessionId = '';
  #turn: Pending | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number) => {
        if (this.#turn !== undefined) this.#finish(this.#turn, 'disconnected', 0);
        resolve(code);
      });
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onFrame(data, isBinary));
  }

  static open(url: string, timeoutMs = 15_000): Promise<SoakConn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const conn = new SoakConn(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`no ready frame within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      const onReady = (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        const frame = JSON.parse(data.toString()) as Record<string, unknown>;
        if (frame.type !== 'ready') return;
        ws.off('message', onReady);
        clearTimeout(timer);
        conn.sessionId = String(frame.session_id);
        resolve(conn);
      };
      ws.on('message', onReady);
    });
  }

  get busy(): boolean {
    return this.#turn !== undefined;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Speaks one turn; resolves when it ends, however it ends (never rejects). */
  speak(id: string, text: string, boundMs: number, interrupt?: Interrupt): Promise<TurnRecord> {
    if (this.#turn !== undefined) throw new Error('one turn at a time');
    return new Promise((resolve) => {
      const turn: Pending = {
        id,
        started: performance.now(),
        seen: new Map(),
        lastDelivered: -1,
        failedCodes: [],
        orderViolations: 0,
        sizeMismatches: 0,
        meta: undefined,
        interrupt,
        interrupted: false,
        timer: setTimeout(() => this.#finish(turn, 'hung', 0), boundMs),
        resolve,
      };
      this.#turn = turn;
      this.ws.send(JSON.stringify({ type: 'speak', text, turn_id: id }));
    });
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    const turn = this.#turn;
    if (turn === undefined) return;
    if (isBinary) {
      const meta = turn.meta;
      turn.meta = undefined;
      if (meta === undefined || meta.bytes !== data.length) turn.sizeMismatches++;
      if (turn.interrupt !== undefined && !turn.interrupted) {
        turn.interrupted = true;
        if (turn.interrupt === 'cancel') this.ws.send(JSON.stringify({ type: 'cancel', turn_id: turn.id }));
        else this.ws.terminate();
      }
      return;
    }
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    if (frame.turn_id !== turn.id) return;
    switch (frame.type) {
      case 'tts_meta': {
        const index = Number(frame.index);
        if (turn.seen.has(index) || index <= turn.lastDelivered) turn.orderViolations++;
        turn.seen.set(index, 'delivered');
        turn.lastDelivered = index;
        turn.meta = { index, bytes: Number(frame.samples) * BYTES_PER_SAMPLE };
        return;
      }
      case 'error': {
        if (typeof frame.index === 'number') {
          if (turn.seen.has(frame.index)) turn.orderViolations++;
          turn.seen.set(frame.index, 'failed');
          turn.failedCodes.push(String(frame.code));
        } else if (frame.code !== 'tts_all_failed') {
          // A refused message opens no turn: no tts_done follows.
          this.#finish(turn, 'rejected', 0, String(frame.code));
        }
        return;
      }
      case 'tts_done':
        this.#finish(turn, 'done', Number(frame.chunks));
        return;
      case 'cancelled':
        this.#finish(turn, 'cancelled', 0);
        return;
    }
  }

  #finish(turn: Pending, end: TurnEnd, chunks: number, rejectedCode?: string): void {
    if (this.#turn !== turn) return;
    if (end === 'disconnected' && turn.interrupted && turn.interrupt === 'disconnect') end = 'client_disconnect';
    this.#turn = undefined;
    clearTimeout(turn.timer);
    let delivered = 0;
    let failed = 0;
    for (const how of turn.seen.values()) how === 'delivered' ? delivered++ : failed++;
    let gaps = 0;
    for (let i = 0; i < chunks; i++) if (!turn.seen.has(i)) gaps++;
    turn.resolve({
      id: turn.id,
      end,
      chunks,
      delivered,
      failed,
      failedCodes: turn.failedCodes,
      gaps,
      orderViolations: turn.orderViolations,
      sizeMismatches: turn.sizeMismatches,
      ...(rejectedCode !== undefined ? { rejectedCode } : {}),
      ms: performance.now() - turn.started,
    });
  }
}
