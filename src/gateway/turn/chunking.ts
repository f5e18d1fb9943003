/**
 * The phrase chunker a turn gets: sized from the pool's measured cost curve
 * (src/pipeline/chunk-sizer.ts) when there is one and KOKORO_CHUNK_SIZING is on, else the
 * chunker's fixed schedule.
 *
 * A turn that starts on a busy pool (no idle worker, chunks queued, or more than half the
 * workers busy over the last ~10 s) also keeps the fixed schedule. Short chunks cost more
 * per second of speech (each carries Kokoro's ~0.8 s of synthesized silence: a one-sentence
 * reply cut in two costs ~45 % more
 * on the genuine model), so on a loaded host they would eat the capacity every
 * queued listener depends on, and a soak at 80 % load tipped into queue timeouts with them.
 * Sizing is for a host with capacity to spare, where it buys first audio.
 */
import { estimateWordTokensIn } from '../../common/token-estimate.ts';
import { ChunkSizer } from '../../pipeline/chunk-sizer.ts';
import type { Language } from '../../shared/languages.ts';
import { DEFAULT_MAX_TOKENS, PhraseChunker } from '../../pipeline/phrase-chunker.ts';
import type { GatewayContext } from '../context.ts';

/**
 * About four short words ("Sure, I can help"): shorter first chunks sound clipped, and save
 * little, as most of a short chunk's cost is the fixed part (Kokoro synthesizes ~0.8 s of
 * silence around every chunk).
 */
const MIN_CHUNK_TOKENS = 24;
/** Above this recent busy share, a turn keeps the fixed schedule (see above). */
const MAX_UTILIZATION = 0.5;
/** The share of a budget a chunk may use: the curve is a running estimate. */
const SAFETY = 0.8;

/**
 * `lang` is the language the turn's text will be read in (the request's, else its voice's):
 * the token estimate knows what each language's G2P makes of its script.
 */
export function chunkerFor(ctx: GatewayContext, speed: number, lang?: Language): PhraseChunker {
  const estimateTokens = (word: string) => estimateWordTokensIn(word, lang);
  const curve = ctx.config.chunkSizing ? (ctx.pool.costCurve?.() ?? null) : null;
  if (curve === null) return new PhraseChunker({ estimateTokens });
  // Workers another turn is not using now; the turn's own look-ahead bounds it too.
  const health = ctx.pool.health();
  const idle = health.plan.workers - health.busyWorkers;
  if (idle < 1 || health.queueDepth > 0 || health.utilization > MAX_UTILIZATION) return new PhraseChunker({ estimateTokens });
  const workers = Math.min(ctx.config.maxInFlightPerTurn, idle);
  const sizer = new ChunkSizer({
    curve,
    workers,
    firstComputeMs: ctx.config.firstChunkComputeMs,
    minTokens: MIN_CHUNK_TOKENS,
    maxTokens: DEFAULT_MAX_TOKENS,
    safety: SAFETY,
    // The shortest gap a join may get (join-silence.ts): budgets err small, never large.
    gapMs: ctx.config.joinTrim ? ctx.config.gapWordMs : 0,
    speed,
  });
  return new PhraseChunker({ sizer, estimateTokens });
}
