/**
 * A WebSocket client of protocol v1 (/work/shared/protocol/ws-v1.md) for load: one
 * connection, turns spoken with `speak`, every frame attributed to its turn, and per
 * turn the figures the bench reports (first audio, chunks, samples, how it ended).
 */
import WebSocket from 'ws';
import { hasAudibleS16 } from './audible.ts';

export type TurnOutcome =
  /** tts_done arrived. */
  | 'done'
  /** cancelled arrived (after our cancel). */
  | 'cancelled'
  /** An error without a chunk index: the message was refused, no turn was opened. */
  | 'rejected'
  /** The connection closed before the turn ended. */
  | 'disconnected';

export interface TurnDone {
  chunks: number;
  failed: number;
  audio_ms: number;
  first_audio_ms: number | null;
}

export interface TurnResult {
  id: string;
  outcome: TurnOutcome;
  sentAt: number;
  /** ms from sending `speak` (or the first `text`) to the first binary frame; NaN without audio. */
  ttfaMs: number;
  /**
   * ms from the same start to the arrival of the first AUDIBLE sample (at or above -40 dBFS):
   * what a listener hears first, silence padding not counted. NaN when none arrived.
   */
  audibleMs: number;
  /** Each binary frame: when it arrived (ms from the start) and how many samples it held. */
  arrivals: Array<{ atMs: number; samples: number }>;
  /** ms from sending `speak` to the turn's end (tts_done, cancelled, rejection, close). */
  endMs: number;
  /** Binary frames received. */
  frames: number;
  samples: number;
  /** Chunk indices of the tts_meta frames, in arrival order. */
  indices: number[];
  /** A binary frame whose length differs from its tts_meta's `samples`, or one with no meta before it. */
  mismatches: number;
  errors: Array<{ code: string; index?: number }>;
  done?: TurnDone;
}

interface PendingTurn {
  result: TurnResult;
  onAudio: ((samples: number) => void) | undefined;
  resolve: (r: TurnResult) => void;
  /** Samples announced by the last tts_meta, waiting for its binary frame. */
  expecting: number | undefined;
}

const BYTES_PER_SAMPLE = 2; // pcm_s16le

export class WsConn {
  readonly #socket: WebSocket;
  readonly #turns = new Map<string, PendingTurn>();
  /** The turn whose tts_meta came last: the next binary frame is its audio. */
  #metaTurn: PendingTurn | undefined;
  #closedCode: number | undefined;
  #stray = 0;
  readonly closed: Promise<number>;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => {
      socket.on('close', (code) => {
        this.#closedCode = code;
        for (const turn of this.#turns.values()) this.#end(turn, 'disconnected');
        resolve(code);
      });
    });
    socket.on('message', (data, isBinary) => this.#onFrame(data as Buffer, isBinary));
  }

  /** Connects and waits for the `ready` frame (at most `timeoutMs`). */
  static open(url: string, timeoutMs = 10_000): Promise<WsConn> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      const timer = setTimeout(() => fail(new Error(`no ready frame from ${url} within ${timeoutMs} ms`)), timeoutMs);
      function fail(err: Error) {
        clearTimeout(timer);
        socket.terminate();
        reject(err);
      }
      socket.once('error', fail);
      socket.once('unexpected-response', (_req, res) => fail(new Error(`${url}: HTTP ${res.statusCode} instead of an upgrade`)));
      socket.once('message', (data, isBinary) => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.on('error', () => undefined); // 'close' follows and ends every pending turn
        const text = isBinary ? '' : (data as Buffer).toString('utf8');
        if (!text.includes('"ready"')) {
          socket.terminate();
          reject(new Error(`first frame was not ready: ${text.slice(0, 200)}`));
          return;
        }
        resolve(new WsConn(socket));
      });
    });
  }

  get open(): boolean {
    return this.#closedCode === undefined && this.#socket.readyState === WebSocket.OPEN;
  }

  get pendingTurns(): number {
    return this.#turns.size;
  }

  /** Audio (tts_meta or binary) of a turn that had already ended: never allowed. */
  get strayFrames(): number {
    return this.#stray;
  }

  /** Speaks `text` as turn `id`; resolves when the turn ends, however it ends. */
  speak(id: string, text: string, onAudio?: (samples: number) => void): Promise<TurnResult> {
    return this.#turn(id, onAudio, () => this.#socket.send(JSON.stringify({ type: 'speak', text, turn_id: id })));
  }

  /**
   * Streams `text` as an LLM would: `piecesPerSecond` pieces of about four characters (one
   * token each), then `flush`. First audio counts from the first piece.
   */
  stream(id: string, text: string, piecesPerSecond: number, onAudio?: (samples: number) => void): Promise<TurnResult> {
    const pieces = text.match(/.{1,4}/gsu) ?? [];
    const everyMs = 1000 / piecesPerSecond;
    return this.#turn(id, onAudio, () => {
      const started = performance.now();
      let sent = 0;
      const next = () => {
        if (!this.open) return;
        // Catch up when the timer runs late, so the rate holds on a busy machine.
        const due = Math.min(pieces.length, Math.floor((performance.now() - started) / everyMs) + 1);
        for (; sent < due; sent++) this.#socket.send(JSON.stringify({ type: 'text', text: pieces[sent], turn_id: id }));
        if (sent < pieces.length) setTimeout(next, everyMs);
        else this.#socket.send(JSON.stringify({ type: 'flush', turn_id: id }));
      };
      next();
    });
  }

  #turn(id: string, onAudio: ((samples: number) => void) | undefined, send: () => void): Promise<TurnResult> {
    const result: TurnResult = {
      id,
      outcome: 'disconnected',
      sentAt: performance.now(),
      ttfaMs: NaN,
      audibleMs: NaN,
      arrivals: [],
      endMs: NaN,
      frames: 0,
      samples: 0,
      indices: [],
      mismatches: 0,
      errors: [],
    };
    return new Promise((resolve) => {
      const turn: PendingTurn = { result, onAudio, resolve, expecting: undefined };
      if (!this.open) {
        this.#end(turn, 'disconnected');
        return;
      }
      this.#turns.set(id, turn);
      send();
    });
  }

  cancel(id: string): void {
    if (this.open) this.#socket.send(JSON.stringify({ type: 'cancel', turn_id: id }));
  }

  /** Closes the socket abruptly (a client that disconnects mid-turn). */
  terminate(): void {
    this.#socket.terminate();
  }

  close(): Promise<number> {
    if (this.#closedCode !== undefined) return Promise.resolve(this.#closedCode);
    this.#socket.close(1000);
    // A host that does not answer the closing handshake is cut off.
    const timer = setTimeout(() => this.#socket.terminate(), 2000);
    return this.closed.finally(() => clearTimeout(timer));
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      const turn = this.#metaTurn;
      this.#metaTurn = undefined;
      if (turn === undefined) {
        this.#stray++;
        return;
      }
      const samples = data.byteLength / BYTES_PER_SAMPLE;
      const r = turn.result;
      const atMs = performance.now() - r.sentAt;
      if (r.frames === 0) r.ttfaMs = atMs;
      if (Number.isNaN(r.audibleMs) && hasAudibleS16(data)) r.audibleMs = atMs;
      r.arrivals.push({ atMs, samples });
      r.frames++;
      r.samples += samples;
      if (turn.expecting !== samples) r.mismatches++;
      turn.expecting = undefined;
      turn.onAudio?.(samples);
      return;
    }
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    const turn = typeof msg.turn_id === 'string' ? this.#turns.get(msg.turn_id) : undefined;
    if (turn === undefined) {
      // A cancel of a turn that already ended is still answered with `cancelled`: fine.
      // Audio of an ended turn is not.
      if (msg.type === 'tts_meta') this.#stray++;
      return;
    }
    switch (msg.type) {
      case 'tts_meta':
        if (turn.expecting !== undefined) turn.result.mismatches++; // a meta without its audio
        turn.expecting = Number(msg.samples);
        turn.result.indices.push(Number(msg.index));
        this.#metaTurn = turn;
        return;
      case 'tts_done':
        turn.result.done = {
          chunks: Number(msg.chunks),
          failed: Number(msg.failed),
          audio_ms: Number(msg.audio_ms),
          first_audio_ms: typeof msg.first_audio_ms === 'number' ? msg.first_audio_ms : null,
        };
        this.#end(turn, 'done');
        return;
      case 'cancelled':
        this.#end(turn, 'cancelled');
        return;
      case 'error': {
        const code = String(msg.code);
        if (typeof msg.index === 'number') {
          turn.result.errors.push({ code, index: msg.index });
        } else {
          turn.result.errors.push({ code });
          // tts_all_failed is followed by tts_done; any other turn-level error refused the message.
          if (code !== 'tts_all_failed') this.#end(turn, 'rejected');
        }
        return;
      }
      default:
        return;
    }
  }

  #end(turn: PendingTurn, outcome: TurnOutcome): void {
    this.#turns.delete(turn.result.id);
    if (this.#metaTurn === turn) this.#metaTurn = undefined;
    turn.result.outcome = outcome;
    turn.result.endMs = performance.now() - turn.result.sentAt;
    turn.resolve(turn.result);
  }
}
