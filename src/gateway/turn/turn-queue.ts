/**
 * The turns of one session, in the order they were opened. The first is the head: the
 * only one whose events are handed on. When it ends (done or cancelled) the next becomes
 * the head and releases whatever it synthesized meanwhile.
 *
 * "Current turn" (for messages without turn_id) is the most recently opened turn while
 * it still takes text. Ids of recently closed turns are remembered (bounded) so late
 * messages for them are recognised instead of opening a new turn by accident.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayContext } from '../context.ts';
import { Turn, type TurnEvents, type VoiceSettings } from './turn.ts';

const REMEMBERED_CLOSED = 256;

export type Lookup<R> =
  | { kind: 'open'; turn: Turn<R> }
  | { kind: 'flushed'; turn: Turn<R> }
  | { kind: 'closed'; id: string; how: 'done' | 'cancelled'; lastIndex: number }
  | { kind: 'none'; id: string | undefined };

export class TurnQueue<R> {
  readonly #turns: Turn<R>[] = [];
  readonly #byId = new Map<string, Turn<R>>();
  readonly #closed = new Map<string, { how: 'done' | 'cancelled'; lastIndex: number }>();
  readonly #ctx: GatewayContext;
  readonly #owner: string;
  readonly #events: TurnEvents<R>;
  readonly #log: FastifyBaseLogger;
  readonly #onCountChanged: (open: number) => void;
  #current: Turn<R> | undefined;
  #nextAutoId = 1;
  #paused = false;

  constructor(ctx: GatewayContext, owner: string, events: TurnEvents<R>, log: FastifyBaseLogger, onCountChanged: (open: number) => void) {
    this.#ctx = ctx;
    this.#owner = owner;
    this.#events = events;
    this.#log = log;
    this.#onCountChanged = onCountChanged;
  }

  get openCount(): number {
    return this.#turns.length;
  }

  lookup(id: string | undefined): Lookup<R> {
    if (id === undefined) {
      const current = this.#current;
      return current !== undefined && current.state === 'open' ? { kind: 'open', turn: current } : { kind: 'none', id };
    }
    const turn = this.#byId.get(id);
    if (turn !== undefined) return turn.state === 'open' ? { kind: 'open', turn } : { kind: 'flushed', turn };
    const closed = this.#closed.get(id);
    if (closed !== undefined) return { kind: 'closed', id, ...closed };
    return { kind: 'none', id };
  }

  open(id: string | undefined, voice: VoiceSettings): Turn<R> {
    let turnId = id;
    while (turnId === undefined || this.#byId.has(turnId)) turnId = `turn-${this.#nextAutoId++}`;
    const turn = new Turn<R>(turnId, this.#ctx, this.#owner, { voice: voice.voice, speed: voice.speed, timestamps: voice.timestamps === true, ...(voice.lang !== undefined ? { lang: voice.lang } : {}) }, this.#events, this.#log, (t) => this.#onClosed(t, 'done'));
    if (this.#paused) turn.pauseDispatch();
    this.#turns.push(turn);
    this.#byId.set(turnId, turn);
    this.#closed.delete(turnId);
    this.#current = turn;
    if (this.#turns.length === 1) turn.becomeHead();
    this.#onCountChanged(this.#turns.length);
    return turn;
  }

  /** The turn takes no more text: flush it, and it is no longer the current turn. */
  flush(turn: Turn<R>, render: R, overrides?: { voice?: string; speed?: number }): void {
    if (this.#current === turn) this.#current = undefined;
    turn.flush(render, overrides);
  }

  /** Cancels one turn; returns the last index of it whose audio was sent. */
  cancel(turn: Turn<R>): number {
    const lastIndex = turn.cancel();
    this.#onClosed(turn, 'cancelled');
    return lastIndex;
  }

  /** A cancel for a turn never opened: remember it so its late text is dropped, not spoken. */
  rememberCancelled(id: string): void {
    this.#remember(id, 'cancelled', -1);
  }

  /** Every open turn, oldest first. */
  list(): readonly Turn<R>[] {
    return [...this.#turns];
  }

  pauseAll(): void {
    this.#paused = true;
    for (const turn of this.#turns) turn.pauseDispatch();
  }

  resumeAll(): void {
    this.#paused = false;
    for (const turn of this.#turns) turn.resumeDispatch();
  }

  /** Disconnect, shutdown or a Clear: cancel everything without telling anyone. */
  cancelAll(): void {
    for (const turn of [...this.#turns]) turn.cancel();
    this.#turns.length = 0;
    this.#byId.clear();
    this.#current = undefined;
  }

  #remember(id: string, how: 'done' | 'cancelled', lastIndex: number): void {
    this.#closed.set(id, { how, lastIndex });
    if (this.#closed.size > REMEMBERED_CLOSED) this.#closed.delete(this.#closed.keys().next().value!);
  }

  #onClosed(turn: Turn<R>, how: 'done' | 'cancelled'): void {
    const at = this.#turns.indexOf(turn);
    if (at < 0) return;
    this.#turns.splice(at, 1);
    this.#byId.delete(turn.id);
    if (this.#current === turn) this.#current = undefined;
    this.#remember(turn.id, how, turn.lastSentIndex);
    this.#onCountChanged(this.#turns.length);
    // The new head may finish at once (its outbox held its done): that re-enters here.
    if (at === 0) this.#turns[0]?.becomeHead();
  }
}
