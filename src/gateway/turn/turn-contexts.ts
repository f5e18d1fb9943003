/**
 * Named contexts over one session's TurnQueue, for protocols whose clients name their
 * generations (ElevenLabs multi-stream `context_id`, Cartesia `context_id`): a context is
 * a chain of turns. Text goes to the context's open turn (one is opened when there is
 * none); a flush ends that turn and the context goes on with a new one; `end` flushes and
 * marks the context ending, and it is finished once its last turn is done; `cancel` drops
 * every turn of it at once (barge-in).
 *
 * Each context has its own TurnQueue: its turns speak in order, and contexts are
 * independent, as the clients expect (a context left open never holds up another; their
 * messages carry the context id, so their audio may interleave).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayContext } from '../context.ts';
import { TurnQueue } from './turn-queue.ts';
import type { Turn, TurnEvents, VoiceSettings } from './turn.ts';

export interface TurnContext<R> {
  readonly id: string;
  voice: VoiceSettings;
  /** The turn taking text, if any. */
  open: Turn<R> | undefined;
  /** Turns of this context not yet done, oldest first. */
  readonly pending: Turn<R>[];
  /** No more text: finished when `pending` empties. */
  ending: boolean;
  /** Audio delivered by its earlier turns, ms: where its next turn starts on the context's timeline. */
  audioMs: number;
  /** Characters taken so far, against the host's per-turn limit. */
  chars: number;
  readonly queue: TurnQueue<R>;
}

export class TurnContexts<R> {
  readonly #gateway: GatewayContext;
  readonly #owner: string;
  readonly #events: TurnEvents<R>;
  readonly #log: FastifyBaseLogger;
  readonly #onCountChanged: (open: number) => void;
  readonly #byId = new Map<string, TurnContext<R>>();
  readonly #byTurn = new Map<string, TurnContext<R>>();
  /** Queues of every context, finished ones until their last turn closed. */
  readonly #queues = new Set<TurnQueue<R>>();
  #turnSeq = 0;
  #paused = false;

  /** `onCountChanged` gets the session's open turns over every context. */
  constructor(gateway: GatewayContext, owner: string, events: TurnEvents<R>, log: FastifyBaseLogger, onCountChanged: (open: number) => void) {
    this.#gateway = gateway;
    this.#owner = owner;
    this.#events = events;
    this.#log = log;
    this.#onCountChanged = onCountChanged;
  }

  /** Turns not yet ended, over every context. */
  get openTurns(): number {
    let n = 0;
    for (const q of this.#queues) n += q.openCount;
    return n;
  }

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): TurnContext<R> | undefined {
    return this.#byId.get(id);
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }

  create(id: string, voice: VoiceSettings): TurnContext<R> {
    const queue: TurnQueue<R> = new TurnQueue<R>(this.#gateway, this.#owner, this.#events, this.#log, (open) => {
      if (open === 0 && this.#byId.get(id)?.queue !== queue) this.#queues.delete(queue);
      this.#onCountChanged(this.openTurns);
    });
    if (this.#paused) queue.pauseAll();
    this.#queues.add(queue);
    const ctx: TurnContext<R> = { id, voice, open: undefined, pending: [], ending: false, audioMs: 0, chars: 0, queue };
    this.#byId.set(id, ctx);
    return ctx;
  }

  /** Text for the context's open turn; a turn is opened when it has none. */
  append(ctx: TurnContext<R>, text: string, render: R): Turn<R> {
    let turn = ctx.open;
    if (turn === undefined) {
      turn = ctx.queue.open(`${ctx.id}#${++this.#turnSeq}`, ctx.voice);
      ctx.open = turn;
      ctx.pending.push(turn);
      this.#byTurn.set(turn.id, ctx);
    }
    ctx.chars += text.length;
    turn.append(text, render);
    return turn;
  }

  /** Ends the context's open turn (its buffered text becomes its last chunk); returns it, if there was one. */
  flush(ctx: TurnContext<R>, render: R): Turn<R> | undefined {
    const turn = ctx.open;
    if (turn === undefined) return undefined;
    ctx.open = undefined;
    ctx.chars = 0;
    ctx.queue.flush(turn, render);
    return turn;
  }

  /** No more text for this context: flush, and mark it ending. True when it is already finished. */
  end(ctx: TurnContext<R>, render: R): boolean {
    this.flush(ctx, render);
    ctx.ending = true;
    if (ctx.pending.length === 0) this.#forget(ctx);
    return ctx.pending.length === 0;
  }

  /** Drops the context's open turn (text not yet flushed, and whatever of it is synthesized); flushed turns go on. */
  dropOpen(ctx: TurnContext<R>): void {
    const turn = ctx.open;
    if (turn === undefined) return;
    ctx.open = undefined;
    ctx.chars = 0;
    ctx.pending.splice(ctx.pending.indexOf(turn), 1);
    this.#byTurn.delete(turn.id);
    ctx.queue.cancel(turn);
  }

  /** Barge-in: every turn of the context is cancelled and the context forgotten. */
  cancel(ctx: TurnContext<R>): void {
    // Forgotten first: cancelling the head hands the queue on, and a next turn may finish at once.
    const turns = ctx.pending.splice(0);
    for (const turn of turns) this.#byTurn.delete(turn.id);
    ctx.open = undefined;
    this.#byId.delete(ctx.id);
    for (const turn of turns) ctx.queue.cancel(turn);
    this.#forget(ctx);
  }

  /** The context a turn belongs to. */
  of(turn: Turn<R>): TurnContext<R> | undefined {
    return this.#byTurn.get(turn.id);
  }

  /** A turn of a context is done: returns its context, which is finished (and forgotten) when it was ending and this was its last turn. */
  turnDone(turn: Turn<R>, audioMs: number): { ctx: TurnContext<R>; finished: boolean } | undefined {
    const ctx = this.#byTurn.get(turn.id);
    if (ctx === undefined) return undefined;
    this.#byTurn.delete(turn.id);
    const at = ctx.pending.indexOf(turn);
    if (at >= 0) ctx.pending.splice(at, 1);
    if (ctx.open === turn) ctx.open = undefined;
    ctx.audioMs += audioMs;
    const finished = ctx.ending && ctx.pending.length === 0;
    if (finished) this.#byId.delete(ctx.id);
    return { ctx, finished };
  }

  pauseAll(): void {
    this.#paused = true;
    for (const q of this.#queues) q.pauseAll();
  }

  resumeAll(): void {
    this.#paused = false;
    for (const q of this.#queues) q.resumeAll();
  }

  /** The session is ending: cancel every turn without telling anyone, forget everything. */
  cancelAll(): void {
    for (const q of this.#queues) q.cancelAll();
    this.#queues.clear();
    this.#byId.clear();
    this.#byTurn.clear();
  }

  /** A context with no turn left: its queue goes (one whose last turn is still closing goes when it does). */
  #forget(ctx: TurnContext<R>): void {
    if (this.#byId.get(ctx.id) === ctx) this.#byId.delete(ctx.id);
    if (ctx.queue.openCount === 0) this.#queues.delete(ctx.queue);
  }
}
