/**
 * The host's error catalogue: one stable, machine-readable code per failure.
 *
 * Wire codes are those of ws-v1.md (WebSocket) and the `code` of OpenAI-style error
 * bodies (HTTP). Tests assert on `code`, never on message text.
 */

export const ERROR_CATALOGUE = {
  bad_message: { status: 400, recoverable: true },
  invalid_request: { status: 400, recoverable: true },
  invalid_voice: { status: 400, recoverable: true },
  invalid_speed: { status: 400, recoverable: true },
  invalid_format: { status: 400, recoverable: true },
  empty_text: { status: 400, recoverable: true },
  text_too_long: { status: 413, recoverable: true },
  unauthorized: { status: 401, recoverable: false },
  tts_chunk_failed: { status: 500, recoverable: true },
  tts_chunk_timeout: { status: 504, recoverable: true },
  tts_all_failed: { status: 500, recoverable: true },
  inference_error: { status: 500, recoverable: true },
  overloaded: { status: 503, recoverable: true },
  rate_limited: { status: 429, recoverable: false },
  not_ready: { status: 503, recoverable: true },
  unavailable: { status: 503, recoverable: true },
  cancelled: { status: 499, recoverable: true },
  shutting_down: { status: 503, recoverable: false },
  model_load_failed: { status: 500, recoverable: false },
  internal: { status: 500, recoverable: false },
} as const satisfies Record<string, { status: number; recoverable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

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
