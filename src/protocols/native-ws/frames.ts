/**
 * ws-v1's `error` frame, built from the error catalogue: `recoverable` is the catalogue's
 * word for the code, never chosen where the frame is sent.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../errors.ts';

export function errorFrame(code: ErrorCode, message: string, at: { turnId?: string; index?: number } = {}): object {
  return {
    type: 'error',
    code,
    message,
    recoverable: ERROR_CATALOGUE[code].recoverable,
    ...(at.turnId !== undefined ? { turn_id: at.turnId } : {}),
    ...(at.index !== undefined ? { index: at.index } : {}),
  };
}
