/**
 * Frames of ElevenLabs' stream-input and multi-stream-input sockets.
 *
 * Client -> host, JSON text frames: `{text, flush?, voice_settings?, generation_config?,
 * try_trigger_generation?, xi_api_key?}`, and on multi-stream also `context_id`,
 * `{context_id, close_context: true}` and `{close_socket: true}`. Unknown fields are
 * ignored (clients add their own). What `text: ""` means depends on the endpoint
 * (end of input, or a context's keep-alive): the session decides.
 *
 * Host -> client: `{audio, isFinal: false, alignment, normalizedAlignment}` per piece
 * of audio, `{isFinal: true}` at the end of a generation (multi-stream: both with
 * `contextId`), and ElevenLabs' error shape `{message, error, code}` (`error` is the
 * host's catalogue code, `code` the WebSocket close code that follows, when one does).
 */
import type { ErrorCode } from '../../errors.ts';
import { KOKORO_SPEED_RANGE } from '../../gateway/turn/turn.ts';
import type { CharAlignment } from './alignment.ts';

export interface ElevenLabsMessage {
  text: string | undefined;
  flush: boolean;
  contextId: string | undefined;
  closeContext: boolean;
  closeSocket: boolean;
  /** voice_settings.speed, clamped to the speeds Kokoro sounds right at. */
  speed: number | undefined;
}

export class BadFrame extends Error {
  readonly code: ErrorCode = 'bad_message';
}

const optionalBool = (o: Record<string, unknown>, key: string): boolean => {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new BadFrame(`"${key}" must be a boolean`);
  return v;
};

function speedOf(settings: unknown): number | undefined {
  if (settings === undefined || settings === null) return undefined;
  if (typeof settings !== 'object' || Array.isArray(settings)) throw new BadFrame('"voice_settings" must be an object');
  const speed = (settings as Record<string, unknown>).speed;
  if (speed === undefined || speed === null) return undefined;
  if (typeof speed !== 'number' || !Number.isFinite(speed)) throw new BadFrame('"voice_settings.speed" must be a number');
  return Math.min(KOKORO_SPEED_RANGE[1], Math.max(KOKORO_SPEED_RANGE[0], speed));
}

export function parseElevenLabsFrame(raw: string): ElevenLabsMessage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new BadFrame('Could not parse input message: it is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadFrame('the message must be a JSON object');
  const o = value as Record<string, unknown>;
  if (o.text !== undefined && typeof o.text !== 'string') throw new BadFrame('"text" must be a string');
  if (o.context_id !== undefined && (typeof o.context_id !== 'string' || o.context_id === '' || o.context_id.length > 200)) {
    throw new BadFrame('"context_id" must be a non-empty string of at most 200 characters');
  }
  const msg: ElevenLabsMessage = {
    text: o.text as string | undefined,
    flush: optionalBool(o, 'flush'),
    contextId: o.context_id as string | undefined,
    closeContext: optionalBool(o, 'close_context'),
    closeSocket: optionalBool(o, 'close_socket'),
    speed: speedOf(o.voice_settings),
  };
  if (msg.text === undefined && !msg.flush && !msg.closeContext && !msg.closeSocket) {
    throw new BadFrame('the message needs "text", "flush", "close_context" or "close_socket"');
  }
  return msg;
}

export function audioFrame(audio: Buffer, alignment: CharAlignment | null, contextId: string | undefined): object {
  const frame = { audio: audio.toString('base64'), isFinal: false, normalizedAlignment: alignment, alignment };
  return contextId === undefined ? frame : { ...frame, contextId };
}

export function finalFrame(contextId: string | undefined): object {
  return contextId === undefined ? { isFinal: true } : { isFinal: true, contextId };
}

export function errorFrame(code: ErrorCode, message: string, closeCode: number | undefined, contextId?: string): object {
  return { message, error: code, ...(closeCode !== undefined ? { code: closeCode } : {}), ...(contextId !== undefined ? { contextId } : {}) };
}
