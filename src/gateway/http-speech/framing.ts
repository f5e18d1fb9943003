/**
 * How an HTTP speech response wraps its encoded audio: raw bytes (OpenAI `stream_format:
 * "audio"`, Deepgram REST), or each protocol's own framing (OpenAI's SSE, Kokoro-FastAPI's
 * captioned JSON, in src/protocols/openai/). SpeechStream (stream.ts) runs the turn and the
 * encoder; a framing only decides the bytes each event becomes.
 */
import type { TurnAudio, TurnChunkFailed } from '../turn/turn.ts';

export type Body = string | Buffer | null;

export interface SpeechFraming {
  readonly contentType: string;
  /** The response is one document written at the end: headers wait for the whole turn. */
  readonly whole: boolean;
  /** A chunk's encoded bytes (maybe none yet) -> what to send. Throws a TtsError to refuse the request before anything was sent. */
  chunk(encoded: Buffer, audio: TurnAudio<undefined>): Body;
  failed(f: TurnChunkFailed): Body;
  /** The encoder's last bytes -> what ends the response. */
  end(tail: Buffer): Body;
}

export function rawFraming(contentType: string): SpeechFraming {
  return {
    contentType,
    whole: false,
    chunk: (encoded) => (encoded.length > 0 ? encoded : null),
    failed: () => null,
    end: (tail) => (tail.length > 0 ? tail : null),
  };
}
