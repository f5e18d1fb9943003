/**
 * Part 6, soak (not in --quick): a fixed number of WebSocket turns of mixed lengths over
 * several connections, with barge-ins and abrupt disconnects mixed in. Every turn must
 * end within a bound; healthy turns must lose no chunk; nothing of a turn may arrive
 * after it ended; RSS at the end is compared with RSS after warm-up.
 *
 * Per 20 turns: 16 plain, 2 cancelled at their first audio, 1 cancelled right after
 * `speak` (still queued), 1 whose connection is cut at its first audio.
 */
import type { Host } from './lib/host.ts';
import { progress } from './lib/progress.ts';
import { round } from './lib/stats.ts';
import { WsConn, type TurnResult } from './lib/ws-client.ts';

type Kind = 'plain' | 'cancel_at_audio' | 'cancel_queued' | 'disconnect';

const KIND_PATTERN: readonly Kind[] = [
  'plain', 'plain', 'plain', 'cancel_at_audio', 'plain', 'plain', 'plain', 'plain', 'cancel_queued', 'plain',
  'plain', 'plain', 'disconnect', 'plain', 'plain', 'cancel_at_audio', 'plain', 'plain', 'plain', 'plain',
];

export interface SoakOptions {
  turns: number;
  connections: number;
  /** The whole soak stops issuing turns past this (reported as cut_short). */
  timeBoundMs: number;
  /** A turn that has not ended this long after `speak` is hung. */
  turnBoundMs: number;
  warmupTurns: number;
  texts: readonly string[];
}

export interface SoakResult {
  planned_turns: number;
  turns: number;
  cut_short: boolean;
  duration_s: number;
  kinds: Record<Kind, number>;
  outcomes: Record<string, number>;
  hung_turns: number;
  /** Plain turns: chunks the host announced in tts_done but never delivered, or failed. */
  lost_healthy_chunks: number;
  /** Plain turns whose chunk indices were not exactly 0, 1, 2, ... */
  order_violations: number;
  /** Plain turns that did not end with tts_done. */
  unexpected_endings: number;
  /** Audio of a turn after it had ended (after cancelled or tts_done). */
  stray_frames: number;
  reconnects: number;
  rss_warm_mb: number;
  rss_end_mb: number;
  rss_growth_pct: number;
  idle_after: { in_flight: number; queue_depth: number } | null;
}

interface Tally {
  kinds: Record<Kind, number>;
  outcomes: Record<string, number>;
  hung: number;
  lost: number;
  order: number;
  unexpected: number;
  stray: number;
  reconnects: number;
}

function check(kind: Kind, r: TurnResult, t: Tally): void {
  t.outcomes[r.outcome] = (t.outcomes[r.outcome] ?? 0) + 1;
  if (kind !== 'plain') return;
  if (r.outcome !== 'done' || r.done === undefined) {
    t.unexpected++;
    return;
  }
  t.lost += Math.max(0, r.done.chunks - r.frames) + r.done.failed;
  if (r.indices.some((index, i) => index !== i) || r.mismatches > 0) t.order++;
}

async function soakConnection(host: Host, opts: SoakOptions, state: { next: number; deadline: number; done: number }, t: Tally, onTurn: () => Promise<void>): Promise<void> {
  let conn: WsConn | undefined;
  try {
    while (state.next < opts.turns && performance.now() < state.deadline) {
      const n = state.next++;
      // Shifted by one per block of 20, so each kind meets short, medium and long texts
      // (the text mix repeats every 10 turns).
      const kind = KIND_PATTERN[(n + Math.floor(n / KIND_PATTERN.length)) % KIND_PATTERN.length]!;
      t.kinds[kind]++;
      if (conn === undefined || !conn.open) {
        if (conn !== undefined) {
          t.stray += conn.strayFrames;
          t.reconnects++;
        }
        conn = await WsConn.open(host.wsUrl);
      }
      const c = conn;
      const id = `soak-${n}`;
      let first = true;
      const turn = c.speak(id, opts.texts[n % opts.texts.length]!, () => {
        if (!first) return;
        first = false;
        if (kind === 'cancel_at_audio') c.cancel(id);
        else if (kind === 'disconnect') c.terminate();
      });
      if (kind === 'cancel_queued') c.cancel(id);
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([turn, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), opts.turnBoundMs)))]);
      clearTimeout(timer);
      if (ended === undefined) {
        t.hung++;
        c.terminate(); // ends the turn as 'disconnected'; a new connection follows
        await turn;
      } else {
        check(kind, ended, t);
      }
      state.done++;
      await onTurn();
    }
  } finally {
    if (conn !== undefined) {
      t.stray += conn.strayFrames;
      await conn.close();
    }
  }
}

/** Bounded wait for the pool to go idle after the last turn (cancelled chunks may still run). */
async function idleAfter(host: Host): Promise<{ in_flight: number; queue_depth: number } | null> {
  let last: { in_flight: number; queue_depth: number } | null = null;
  for (let i = 0; i < 20; i++) {
    try {
      const { body } = await host.readyz();
      const pool = body.pool as { in_flight?: number; queue_depth?: number } | undefined;
      last = { in_flight: Number(pool?.in_flight), queue_depth: Number(pool?.queue_depth) };
      if (last.in_flight === 0 && last.queue_depth === 0) return last;
    } catch {
      last = null;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

export async function runSoak(host: Host, opts: SoakOptions): Promise<SoakResult> {
  const t: Tally = {
    kinds: { plain: 0, cancel_at_audio: 0, cancel_queued: 0, disconnect: 0 },
    outcomes: {},
    hung: 0,
    lost: 0,
    order: 0,
    unexpected: 0,
    stray: 0,
    reconnects: 0,
  };
  const t0 = performance.now();
  const state = { next: 0, deadline: t0 + opts.timeBoundMs, done: 0 };
  let rssWarm = NaN;
  let warmRead: Promise<void> | undefined;
  const onTurn = async () => {
    if (state.done === opts.warmupTurns && warmRead === undefined) {
      warmRead = host.rssMb().then((mb) => void (rssWarm = mb), () => undefined);
      await warmRead;
    }
    if (state.done % 100 === 0) progress(`soak: ${state.done}/${opts.turns} turns (${t.hung} hung, ${t.lost} lost chunks)`);
  };
  progress(`soak: ${opts.turns} turns over ${opts.connections} connections (bound ${opts.timeBoundMs / 1000} s)`);
  await Promise.all(Array.from({ length: opts.connections }, () => soakConnection(host, opts, state, t, onTurn)));
  const durationS = (performance.now() - t0) / 1000;
  const idle = await idleAfter(host);
  const rssEnd = await host.rssMb().catch(() => NaN);
  const result: SoakResult = {
    planned_turns: opts.turns,
    turns: state.done,
    cut_short: state.done < opts.turns,
    duration_s: round(durationS, 1),
    kinds: t.kinds,
    outcomes: t.outcomes,
    hung_turns: t.hung,
    lost_healthy_chunks: t.lost,
    order_violations: t.order,
    unexpected_endings: t.unexpected,
    stray_frames: t.stray,
    reconnects: t.reconnects,
    rss_warm_mb: rssWarm,
    rss_end_mb: rssEnd,
    rss_growth_pct: round(((rssEnd - rssWarm) / rssWarm) * 100, 1),
    idle_after: idle,
  };
  progress(`soak: ${result.turns} turns in ${result.duration_s} s: ${result.hung_turns} hung, ${result.lost_healthy_chunks} lost healthy chunks, RSS ${rssWarm} -> ${rssEnd} MiB`);
  return result;
}
