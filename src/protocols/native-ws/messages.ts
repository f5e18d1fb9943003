/**
 * Client frames of ws-v1.md, validated by hand so that each fault gets its protocol
 * code: bad_message (not JSON, not an object, unknown type, wrong field type),
 * invalid_voice, invalid_speed, invalid_format (and bad_message for a `timestamps` that is not
 * a boolean, the word-timing extension's switch). Unknown fields are ignored: the protocol
 * grows by optional fields, and an old host must not reject a newer client.
 */
import { KOKORO_SPEED_RANGE } from '../../gateway/turn/turn.ts';
import { resolveVoiceName } from '../../shared/voices.ts';

export const WS_FORMATS = ['pcm_s16le', 'f32le'] as const;
export type WsFormat = (typeof WS_FORMATS)[number];
/** turn_id is echoed in every frame of its turn; keep it small. */
const MAX_TURN_ID_LENGTH = 128;

export type ClientMessage =
  | { type: 'config'; voice?: string; speed?: number; format?: WsFormat; timestamps?: boolean }
  | { type: 'text'; text: string; turnId?: string }
  | { type: 'flush'; turnId?: string }
  | { type: 'speak'; text: string; turnId?: string; voice?: string; speed?: number }
  | { type: 'cancel'; turnId?: string }
  | { type: 'ping'; id?: string | number };

export type RejectCode = 'bad_message' | 'invalid_voice' | 'invalid_speed' | 'invalid_format';

export class Reject extends Error {
  readonly code: RejectCode;
  turnId: string | undefined;
  constructor(code: RejectCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function checkVoice(value: unknown): string {
  const voice = resolveVoiceName(value);
  if (voice === null) throw new Reject('invalid_voice', 'unknown voice; GET /v1/voices lists the voices');
  return voice;
}

export function checkSpeed(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < KOKORO_SPEED_RANGE[0] || value > KOKORO_SPEED_RANGE[1]) {
    throw new Reject('invalid_speed', `speed must be a number between ${KOKORO_SPEED_RANGE[0]} and ${KOKORO_SPEED_RANGE[1]}`);
  }
  return value;
}

export function checkFormat(value: unknown): WsFormat {
  if (typeof value !== 'string' || !(WS_FORMATS as readonly string[]).includes(value)) {
    throw new Reject('invalid_format', `format must be one of ${WS_FORMATS.join(', ')}`);
  }
  return value as WsFormat;
}

function checkTimestamps(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Reject('bad_message', 'timestamps must be true or false');
  return value;
}

/** The query's spelling of the switch: 1/true on, 0/false off. */
function queryTimestamps(value: unknown): boolean {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new Reject('bad_message', 'timestamps must be 1 or 0');
}

type Fields = Record<string, unknown>;

function optional<T>(o: Fields, name: string, check: (v: unknown) => T): T | undefined {
  return Object.hasOwn(o, name) ? check(o[name]) : undefined;
}

function turnId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TURN_ID_LENGTH) {
    throw new Reject('bad_message', `turn_id must be a non-empty string of at most ${MAX_TURN_ID_LENGTH} characters`);
  }
  return value;
}

function text(o: Fields): string {
  if (typeof o.text !== 'string') throw new Reject('bad_message', 'text must be a string');
  return o.text;
}

function pingId(value: unknown): string | number {
  if (typeof value !== 'string' && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new Reject('bad_message', 'id must be a string or a number');
  }
  return value;
}

function parseObject(o: Fields): ClientMessage {
  switch (o.type) {
    case 'config':
      return {
        type: 'config',
        voice: optional(o, 'voice', checkVoice),
        speed: optional(o, 'speed', checkSpeed),
        format: optional(o, 'format', checkFormat),
        timestamps: optional(o, 'timestamps', checkTimestamps),
      };
    case 'text':
      return { type: 'text', turnId: optional(o, 'turn_id', turnId), text: text(o) };
    case 'flush':
      return { type: 'flush', turnId: optional(o, 'turn_id', turnId) };
    case 'speak':
      return { type: 'speak', turnId: optional(o, 'turn_id', turnId), text: text(o), voice: optional(o, 'voice', checkVoice), speed: optional(o, 'speed', checkSpeed) };
    case 'cancel':
      return { type: 'cancel', turnId: optional(o, 'turn_id', turnId) };
    case 'ping':
      return { type: 'ping', id: optional(o, 'id', pingId) };
    default:
      throw new Reject('bad_message', typeof o.type === 'string' ? `unknown message type "${o.type.slice(0, 32)}"` : 'type must be a string');
  }
}

/** A text frame as a client message; throws `Reject` (with the turn_id when it was readable). */
export function parseClientFrame(data: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new Reject('bad_message', 'the frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Reject('bad_message', 'a message must be a JSON object');
  }
  const o = value as Fields;
  try {
    return parseObject(o);
  } catch (err) {
    if (err instanceof Reject && typeof o.turn_id === 'string' && o.turn_id.length <= MAX_TURN_ID_LENGTH) err.turnId = o.turn_id;
    throw err;
  }
}

/** Session defaults from the upgrade's query string; each bad value is reported and the default kept. */
export function parseQueryDefaults(query: Fields): { voice?: string; speed?: number; format?: WsFormat; timestamps?: boolean; rejects: Reject[] } {
  const out: { voice?: string; speed?: number; format?: WsFormat; timestamps?: boolean; rejects: Reject[] } = { rejects: [] };
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (err instanceof Reject) out.rejects.push(err);
      else throw err;
    }
  };
  if (query.voice !== undefined) attempt(() => (out.voice = checkVoice(query.voice)));
  if (query.speed !== undefined) {
    attempt(() => {
      const raw = query.speed;
      const n = typeof raw === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(raw) ? Number(raw) : NaN;
      out.speed = checkSpeed(n);
    });
  }
  if (query.format !== undefined) attempt(() => (out.format = checkFormat(query.format)));
  if (query.timestamps !== undefined) attempt(() => (out.timestamps = queryTimestamps(query.timestamps)));
  return out;
}
