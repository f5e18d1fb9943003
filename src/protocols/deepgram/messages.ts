/**
 * Frames of Deepgram's Speak socket. Client -> host: `Speak {text}`, `Flush`, `Clear`,
 * `Close`, as JSON text frames; anything else is answered with a Warning (code
 * `bad_message`) and changes nothing. Unknown fields are ignored, as the SDK may add some.
 *
 * Host -> client frames carry each message twice where Deepgram's clients disagree on
 * the names: the SDK types Warning as `description`/`code`, LiveKit reads `warn_msg`.
 */
import type { ErrorCode } from '../../errors.ts';

export type DeepgramMessage = { type: 'Speak'; text: string } | { type: 'Flush' } | { type: 'Clear' } | { type: 'Close' };

export class BadFrame extends Error {
  readonly code = 'bad_message' as const;
}

export function parseDeepgramFrame(raw: string): DeepgramMessage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new BadFrame('the message is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadFrame('the message must be a JSON object');
  const o = value as Record<string, unknown>;
  switch (o.type) {
    case 'Speak':
      if (typeof o.text !== 'string') throw new BadFrame('Speak needs a string "text"');
      return { type: 'Speak', text: o.text };
    case 'Flush':
    case 'Clear':
    case 'Close':
      return { type: o.type };
    default:
      throw new BadFrame('type must be one of Speak, Flush, Clear, Close');
  }
}

export function warningFrame(code: ErrorCode, description: string): object {
  return { type: 'Warning', description, code, warn_msg: description, warn_code: code };
}

export function errorFrame(code: ErrorCode, description: string): object {
  return { type: 'Error', description, code, err_msg: description, err_code: code };
}
