/**
 * Local first, upstream as the fallback, per chunk: one synthesize() call tries both
 * providers, so the pipeline never needs its own retry (plan 05's cross-review note).
 *
 *   breaker closed     local ──(provider fault)──▶ upstream
 *   breaker open       upstream ──(any failure)──▶ local
 *   breaker half-open  one request probes local (then upstream on a fault); the rest go upstream first
 *
 * Which local errors do what (the caller's mistakes must neither trip the breaker nor
 * be "fixed" by another provider, and a shutdown is not a fault), as the catalogue's
 * `failsOver` and `breaker` flags say (src/errors.ts):
 *
 *   | code                                              | fail over | counts for the breaker |
 *   |---------------------------------------------------|-----------|------------------------|
 *   | tts_chunk_failed, tts_chunk_timeout,              | yes       | yes                    |
 *   | inference_error, internal, unavailable,           |           |                        |
 *   | model_load_failed                                 |           |                        |
 *   | overloaded (a full queue: capacity, not a fault), | yes       | no                     |
 *   | text_too_long (content the local model refused)   |           |                        |
 *   | invalid_voice, invalid_speed, empty_text,         | no        | no                     |
 *   | invalid_request, invalid_format, bad_message,     |           |                        |
 *   | unauthorized, cancelled, shutting_down            |           |                        |
 *
 * When both providers fail, the chunk fails with the LOCAL error's code (the upstream's
 * message is appended), so callers see the same codes with or without a fallback.
 */
import { ERROR_CATALOGUE, ERROR_CODES, TtsError, toTtsError, type ErrorCode } from '../errors.ts';
import { CircuitBreaker, type BreakerState } from './breaker.ts';
import type { SynthesizeRequest, SynthesizedAudio, Synthesizer } from './types.ts';

/** Codes whose local failure counts towards the breaker, and those that try the upstream: the catalogue's flags. */
export const BREAKER_COUNTED: ReadonlySet<ErrorCode> = new Set(ERROR_CODES.filter((c) => ERROR_CATALOGUE[c].breaker));
export const FAILS_OVER: ReadonlySet<ErrorCode> = new Set(ERROR_CODES.filter((c) => ERROR_CATALOGUE[c].failsOver));

export interface RouterOptions {
  local: Synthesizer;
  upstream?: Synthesizer;
  breaker?: { failures: number; windowMs: number; cooldownMs: number };
  log?: { warn(obj: object, msg: string): void };
  /** Clock for the breaker (tests). */
  now?: () => number;
}

export interface RouterState {
  breaker: BreakerState;
  preferred: 'local' | 'upstream';
}

export type Router = Synthesizer & { state(): RouterState };

const DEFAULT_BREAKER = { failures: 5, windowMs: 30_000, cooldownMs: 30_000 };

export function createRouter(opts: RouterOptions): Router {
  const { local, upstream, log } = opts;
  if (upstream === undefined) {
    // Nothing to fail over to: the breaker would only turn errors into other errors.
    return {
      synthesize: (req) => local.synthesize(req),
      state: () => ({ breaker: 'closed', preferred: 'local' }),
    };
  }
  const breaker = new CircuitBreaker({ ...(opts.breaker ?? DEFAULT_BREAKER), ...(opts.now ? { now: opts.now } : {}) });

  async function tryLocal(req: SynthesizeRequest, probe: boolean): Promise<SynthesizedAudio> {
    try {
      const audio = await local.synthesize(req);
      if (breaker.success(probe)) log?.warn({ breaker: 'closed' }, 'local synthesis recovered; breaker closed');
      return audio;
    } catch (err) {
      const e = toTtsError(err);
      if (BREAKER_COUNTED.has(e.code)) {
        if (breaker.failure(probe)) log?.warn({ breaker: 'open', code: e.code }, 'local synthesis failing; breaker open, preferring upstream');
      } else {
        breaker.release(probe);
      }
      throw e;
    }
  }

  async function synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    const started = performance.now();
    const { local: localFirst, probe } = breaker.admitLocal();
    if (localFirst) {
      let localErr: TtsError;
      try {
        return await tryLocal(req, probe);
      } catch (err) {
        localErr = err as TtsError;
      }
      if (!FAILS_OVER.has(localErr.code) || req.signal?.aborted === true) throw localErr;
      log?.warn({ code: localErr.code }, 'local synthesis failed; trying upstream');
      try {
        return withExtraTime(await upstream!.synthesize(req), started);
      } catch (err) {
        throw bothFailed(localErr, toTtsError(err));
      }
    }
    let upErr: TtsError;
    try {
      return await upstream!.synthesize(req);
    } catch (err) {
      upErr = toTtsError(err);
    }
    if (upErr.code === 'cancelled' || req.signal?.aborted === true) throw upErr;
    try {
      return withExtraTime(await local.synthesize(req), started);
    } catch (err) {
      throw bothFailed(toTtsError(err), upErr);
    }
  }

  return {
    synthesize,
    state: () => {
      const state = breaker.state;
      return { breaker: state, preferred: state === 'closed' ? 'local' : 'upstream' };
    },
  };
}

/** The failed first try's time counts as synthesis time ("all tries"). */
function withExtraTime(audio: SynthesizedAudio, started: number): SynthesizedAudio {
  const total = performance.now() - started;
  return { ...audio, synthMs: Math.max(audio.synthMs, total - audio.queueMs) };
}

function bothFailed(localErr: TtsError, upErr: TtsError): TtsError {
  return new TtsError(localErr.code, `${localErr.message}; upstream: ${upErr.message}`, { cause: localErr });
}
