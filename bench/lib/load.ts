/**
 * Closed-loop load: `concurrency` clients, each speaking one turn after another from the
 * shared text list, bounded by a time window and a turn count.
 *
 *   t0 ── warm-up ──┬──────── measured window ────────┬── drain (bounded) ──► done
 *                   onWindowStart()                    onWindowEnd(); no new turns
 *
 * Throughput counts only the audio that arrives inside the window, so neither the ramp-up
 * nor the tail of the last turns dilutes it. Turns still running when the drain bound
 * passes are aborted (cancel / request abort) and counted as `cut`, not failed; their
 * first-audio times still count.
 */
import { percentile, round, summarize, type Summary } from './stats.ts';

export const SAMPLE_RATE = 24_000;

export interface TurnSample {
  ok: boolean;
  startedAt: number;
  /** ms to the first audio byte; NaN without audio. */
  ttfaMs: number;
  /** ms to the first audible sample (-40 dBFS, audible.ts); NaN without one. */
  audibleMs: number;
  /** Played back in real time as it arrived (playback.ts): stalls not in the audio. */
  underruns: number;
  stallMs: number;
  endMs: number;
  audioS: number;
  error?: string;
  /** Ended by the load's abort at the drain bound (set by runLoad). */
  cut?: boolean;
}

export interface LoadClient {
  turn(id: string, text: string, onAudio: (samples: number) => void): Promise<TurnSample>;
  /** Ends the turn in flight at once (used when the drain bound passes). */
  abort(): void;
  close(): Promise<void>;
}

export interface LoadOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  maxTurns: number;
  texts: readonly string[];
  /** Prefix of turn ids, unique per load. */
  label: string;
  onWindowStart?: () => Promise<void> | void;
  onWindowEnd?: () => Promise<void> | void;
}

export interface LoadResult {
  concurrency: number;
  window_s: number;
  audio_s: number;
  audio_s_per_s: number;
  turns: number;
  failed: number;
  cut: number;
  errors: string[];
  ttfa_ms: Summary;
  /** First AUDIBLE audio (-40 dBFS): the latency a listener hears. */
  audible_ms: Summary;
  /** Turns played back in real time: stalls that are not in the audio. */
  underruns: number;
  stall_ms: number;
  turns_with_underruns: number;
  turn_ms: Summary;
  /** Per turn: wall time / audio time, p50 (below 1 plays without gaps). */
  turn_rtf_p50: number;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runLoad(clients: readonly LoadClient[], opts: LoadOptions): Promise<LoadResult> {
  const samples: TurnSample[] = [];
  let issued = 0;
  let stopping = false;
  let windowSamples = 0;
  const t0 = performance.now();
  const windowStart = t0 + opts.warmupMs;
  const windowEnd = windowStart + opts.durationMs;
  const onAudio = (n: number) => {
    const t = performance.now();
    if (t >= windowStart && t < windowEnd) windowSamples += n;
  };

  const loops = clients.map(async (client, i) => {
    while (!stopping && issued < opts.maxTurns) {
      const n = issued++;
      const text = opts.texts[n % opts.texts.length]!;
      samples.push(await client.turn(`${opts.label}-c${i}-t${n}`, text, onAudio));
    }
  });
  const allDone = Promise.all(loops);

  await delay(opts.warmupMs);
  await opts.onWindowStart?.();
  const finishedEarly = await Promise.race([delay(Math.max(0, windowEnd - performance.now())).then(() => false), allDone.then(() => true)]);
  const windowS = ((finishedEarly ? performance.now() : windowEnd) - windowStart) / 1000;
  stopping = true;
  await opts.onWindowEnd?.();

  let drainTimer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([allDone.then(() => true), new Promise<boolean>((r) => (drainTimer = setTimeout(() => r(false), opts.drainMs)))]);
  clearTimeout(drainTimer);
  const cutFrom = samples.length;
  if (!drained) {
    for (const c of clients) c.abort();
    await allDone;
  }
  for (const s of samples.slice(cutFrom)) s.cut = true;

  const inWindow = samples.filter((s) => s.startedAt >= windowStart && s.startedAt < windowEnd);
  const ok = inWindow.filter((s) => s.ok);
  // A turn cut at the drain bound still had a first-audio time worth counting.
  const ttfa = inWindow.filter((s) => s.ok || (s.cut === true && Number.isFinite(s.ttfaMs))).map((s) => s.ttfaMs);
  const audioS = windowSamples / SAMPLE_RATE;
  return {
    concurrency: opts.concurrency,
    window_s: round(windowS, 2),
    audio_s: round(audioS, 1),
    audio_s_per_s: round(windowS > 0 ? audioS / windowS : NaN, 2),
    turns: ok.length,
    failed: inWindow.filter((s) => !s.ok && s.cut !== true).length,
    cut: samples.length - cutFrom,
    errors: [...new Set(samples.filter((s) => s.error !== undefined && s.cut !== true).map((s) => s.error!))].slice(0, 5),
    ttfa_ms: summarize(ttfa),
    audible_ms: summarize(inWindow.filter((s) => Number.isFinite(s.audibleMs)).map((s) => s.audibleMs)),
    underruns: ok.reduce((n, s) => n + s.underruns, 0),
    stall_ms: round(ok.reduce((n, s) => n + s.stallMs, 0), 0),
    turns_with_underruns: ok.filter((s) => s.underruns > 0).length,
    turn_ms: summarize(ok.map((s) => s.endMs)),
    turn_rtf_p50: round(percentile(ok.filter((s) => s.audioS > 0).map((s) => s.endMs / 1000 / s.audioS).sort((a, b) => a - b), 50), 3),
  };
}
