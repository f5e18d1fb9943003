/**
 * ws-v1's `error` frame, built from the error catalogue: `recoverable` is the catalogue's
 * word for the code, never chosen where the frame is sent.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../errors.ts';

/**
 * Message rejections newer than ws-v1's error table (its `lang` and inline-markup extensions):
 * clients written against the contract know only its codes, so these go out as the contract's
 * `bad_message` (recoverable, the message changed nothing), the precise code in `reason`.
 */
const OUTSIDE_WS_V1_TABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['invalid_lang', 'invalid_markup']);

export function errorFrame(code: ErrorCode, message: string, at: { turnId?: string; index?: number } = {}): object {
  const outside = OUTSIDE_WS_V1_TABLE.has(code);
  return {
    type: 'error',
    code: outside ? 'bad_message' : code,
    ...(outside ? { reason: code } : {}),
    message,
    recoverable: ERROR_CATALOGUE[code].recoverable,
    ...(at.turnId !== undefined ? { turn_id: at.turnId } : {}),
    ...(at.index !== undefined ? { index: at.index } : {}),
  };
}
