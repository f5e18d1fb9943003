/**
 * Named contexts over one session's TurnQueue, for protocols whose clients name their
 * generations (ElevenLabs multi-stream `context_id`, Cartesia `context_id`): a context is
 * a chain of turns. Text goes to the context's open turn (one is opened when there is
 * none); a flush ends that turn and the context goes on with a new one; `end` flushes and
 * marks the context ending, and it is finished once its last turn is done; `cancel` drops
 * every turn of it at once (barge-in).
 *
 * Turns keep the queue's order (the head turn speaks first), so two contexts never
 * interleave their audio: a later context's audio waits, bounded by the pipeline's
 * look-ahead, until the earlier one is done or cancelled.
 */
import type { TurnQueue } from './turn-queue.ts';
import type { Turn, VoiceSettings } from './turn.ts';

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
}

export class TurnContexts<R> {
  readonly #queue: TurnQueue<R>;
  readonly #byId = new Map<string, TurnContext<R>>();
  readonly #byTurn = new Map<string, TurnContext<R>>();
  #turnSeq = 0;

  constructor(queue: TurnQueue<R>) {
    this.#queue = queue;
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
    const ctx: TurnContext<R> = { id, voice, open: undefined, pending: [], ending: false, audioMs: 0, chars: 0 };
    this.#byId.set(id, ctx);
    return ctx;
  }

  /** Text for the context's open turn; a turn is opened when it has none. */
  append(ctx: TurnContext<R>, text: string, render: R): Turn<R> {
    let turn = ctx.open;
    if (turn === undefined) {
      turn = this.#queue.open(`${ctx.id}#${++this.#turnSeq}`, ctx.voice);
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
    this.#queue.flush(turn, render);
    return turn;
  }

  /** No more text for this context: flush, and mark it ending. True when it is already finished. */
  end(ctx: TurnContext<R>, render: R): boolean {
    this.flush(ctx, render);
    ctx.ending = true;
    if (ctx.pending.length === 0) this.#byId.delete(ctx.id);
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
    this.#queue.cancel(turn);
  }

  /** Barge-in: every turn of the context is cancelled and the context forgotten. */
  cancel(ctx: TurnContext<R>): void {
    // Forgotten first: cancelling the head hands the queue on, and a next turn may finish at once.
    const turns = ctx.pending.splice(0);
    for (const turn of turns) this.#byTurn.delete(turn.id);
    ctx.open = undefined;
    this.#byId.delete(ctx.id);
    for (const turn of turns) this.#queue.cancel(turn);
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

  /** The session is ending: forget everything (the queue cancels the turns itself). */
  clear(): void {
    this.#byId.clear();
    this.#byTurn.clear();
  }
}
