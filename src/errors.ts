/**
 * The host's error catalogue: one stable, machine-readable code per failure, and every
 * fact about it that a wire format or a decision needs. Nothing else decides these:
 *
 *   status       the HTTP status (OpenAI-style bodies; a route may override it, e.g. 503
 *                for tts_all_failed when every failure was retryable)
 *   recoverable  ws-v1's `error.recoverable`: the session goes on after it
 *   retryable    the same request may succeed later (capacity or lifecycle, not content)
 *   failsOver    the router tries the upstream provider after a local failure with it
 *   breaker      a local failure with it counts towards the router's breaker (a fault of
 *                the provider, not the caller's mistake nor a full queue)
 *   doc          what it means, for people; README and docs/ say more
 *
 * Wire codes are those of ws-v1.md (WebSocket), the `code` of OpenAI-style error bodies
 * (HTTP) and of Deepgram Warning/Error frames. Tests assert on `code`, never on message
 * text; test/unit/error-catalogue.test.ts checks every code is documented and used.
 */

interface ErrorInfo {
  status: number;
  recoverable: boolean;
  retryable: boolean;
  failsOver: boolean;
  breaker: boolean;
  doc: string;
}

const caller = { recoverable: true, retryable: false, failsOver: false, breaker: false } as const;
const fault = { recoverable: true, retryable: false, failsOver: true, breaker: true } as const;

export const ERROR_CATALOGUE = {
  bad_message: { status: 400, ...caller, doc: 'a client frame that is not JSON, not an object, of an unknown type, binary, or with a field of the wrong type' },
  invalid_request: { status: 400, ...caller, doc: 'an HTTP request the host cannot take: bad or empty body, unknown route, a missing WebSocket upgrade' },
  invalid_voice: { status: 400, ...caller, doc: 'a voice the host does not have' },
  invalid_speed: { status: 400, ...caller, doc: 'a speed outside the accepted range, or not a number' },
  invalid_lang: { status: 400, ...caller, doc: 'a `lang` that is not one of the nine languages (a lang_code letter a b e f h i j p z, or a BCP-47 tag such as es, pt-BR, zh)' },
  invalid_format: { status: 400, ...caller, doc: 'an audio format or encoding the host does not produce' },
  empty_text: { status: 400, ...caller, doc: 'input with nothing to speak' },
  invalid_markup: { status: 400, ...caller, doc: 'a bad inline tag: a pause that is not `[pause:<seconds>s]` or over 10 s, an unclosed `[word](/phonemes/)`, or phonemes the model does not know' },
  invalid_phonemes: { status: 400, ...caller, doc: 'phoneme input with symbols outside the model vocabulary (../shared/kokoro/vocab.json), empty, or one phoneme word (no space) over 250 tokens' },
  invalid_ssml: { status: 400, ...caller, doc: 'SSML input (starting with `<speak>`) that is malformed or uses an element or attribute outside the supported subset' },
  invalid_lexicon: { status: 500, ...caller, recoverable: false, doc: 'the KOKORO_LEXICON file is unreadable or malformed: the host does not start (a reload keeps the old lexicon)' },
  text_too_long: { status: 413, ...caller, failsOver: true, doc: 'a turn or input over the host limit, or a chunk over the model limit (the upstream may still take it)' },
  timing_unavailable: { status: 501, ...caller, doc: 'word timestamps were asked for and the host cannot time words (its model gives no durations); nothing was sent' },
  unauthorized: { status: 401, ...caller, recoverable: false, doc: 'a missing or wrong API key (KOKORO_API_KEY)' },
  tts_chunk_failed: { status: 500, ...fault, doc: 'a chunk failed on every try and was skipped' },
  tts_chunk_timeout: { status: 504, ...fault, doc: 'a chunk passed its time limit on every try and was skipped' },
  tts_all_failed: { status: 500, ...fault, failsOver: false, breaker: false, doc: 'every chunk of a turn or request failed' },
  inference_error: { status: 500, ...fault, doc: 'the model refused or failed on a chunk' },
  overloaded: { status: 503, recoverable: true, retryable: true, failsOver: true, breaker: false, doc: 'the synthesis queue or a per-session limit is full; nothing of the request was queued' },
  rate_limited: { status: 429, recoverable: false, retryable: true, failsOver: false, breaker: false, doc: 'a WebSocket client sent faster than its rate limit (KOKORO_WS_MESSAGES_PER_SECOND, KOKORO_WS_TEXT_CHARS_PER_SECOND); the socket closes with 1008' },
  unavailable: { status: 503, ...fault, retryable: true, doc: 'no worker can take work (every worker is stuck)' },
  cancelled: { status: 499, ...caller, doc: 'the client cancelled, or went away' },
  shutting_down: { status: 503, recoverable: false, retryable: true, failsOver: false, breaker: false, doc: 'the host is stopping: in-flight work finishes within the grace period, nothing new is taken' },
  model_load_failed: { status: 500, ...fault, recoverable: false, doc: 'the model could not be loaded' },
  internal: { status: 500, ...fault, recoverable: false, doc: 'a bug: the message says nothing more, the logs do' },
} as const satisfies Record<string, ErrorInfo>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** "Try again later" rather than "this input broke". */
export function isRetryable(code: ErrorCode): boolean {
  return ERROR_CATALOGUE[code].retryable;
}

export class TtsError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly recoverable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TtsError';
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].status;
    this.recoverable = ERROR_CATALOGUE[code].recoverable;
  }
}

export function isTtsError(err: unknown): err is TtsError {
  return err instanceof TtsError;
}

/** Any thrown value as a TtsError; unknown failures become `internal`. */
export function toTtsError(err: unknown): TtsError {
  if (err instanceof TtsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TtsError('internal', message, { cause: err });
}
