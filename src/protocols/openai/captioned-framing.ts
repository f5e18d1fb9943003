/**
 * Kokoro-FastAPI's captioned speech bodies (POST /dev/captioned_speech), made from a turn:
 *
 *   stream: true   one JSON object per line (`application/json`, as Kokoro-FastAPI sends it):
 *                  `{audio, audio_format, timestamps}` per chunk, `audio` the base64 bytes the
 *                  encoder produced for that chunk (concatenated, the lines make one file),
 *                  `timestamps` that chunk's words in seconds on the whole response's timeline.
 *                  A chunk whose encoded bytes are still buffered carries its words over to the
 *                  next line (Kokoro-FastAPI does the same). A skipped chunk is a line
 *                  `{error: {message, type, param, code, index}}` (a host extension).
 *   stream: false  one JSON document at the end: `{audio, audio_format, timestamps}` for all.
 *
 * `timestamps` is `[]` (streamed) or `null` (whole) when return_timestamps is false, as in
 * Kokoro-FastAPI. When the host cannot time words, a request asking for them is refused with
 * `timing_unavailable` before anything is sent; a later chunk that cannot be timed (it came
 * from the upstream fallback) has `timestamps: null` on its line (streamed), and refuses the
 * whole document (not streamed, where nothing was sent yet).
 */
import type { Body, SpeechFraming } from '../../gateway/http-speech/framing.ts';
import type { TurnAudio, TurnChunkFailed } from '../../gateway/turn/turn.ts';
import { cannotTime, turnTimestamps, type CaptionTimestamp } from './captions.ts';

const line = (data: object): string => `${JSON.stringify(data)}\n`;

function failureLine(f: TurnChunkFailed): string {
  return line({ error: { message: f.message, type: 'server_error', param: null, code: f.code, index: f.index } });
}

export function captionLinesFraming(audioFormat: string, timestamps: boolean): SpeechFraming {
  let sent = false;
  /** Words of chunks whose bytes the encoder still holds; null once a chunk could not be timed. */
  let carried: CaptionTimestamp[] | null = [];
  const emit = (bytes: Buffer): string => {
    const out = line({ audio: bytes.toString('base64'), audio_format: audioFormat, timestamps: timestamps ? carried : [] });
    carried = [];
    return out;
  };
  return {
    contentType: 'application/json',
    whole: false,
    chunk(encoded: Buffer, a: TurnAudio<undefined>): Body {
      if (timestamps) {
        const words = turnTimestamps(a);
        if (words === undefined && !sent) throw cannotTime('return_timestamps');
        carried = words === undefined || carried === null ? null : [...carried, ...words];
      }
      sent = true;
      return encoded.length > 0 ? emit(encoded) : null;
    },
    failed: failureLine,
    end: (tail: Buffer): Body => (tail.length > 0 || (timestamps && carried?.length !== 0) ? emit(tail) : null),
  };
}

/** A streaming WAV header says "until EOF"; a whole document knows its sizes, so it says them. */
function withWavSizes(file: Buffer, audioFormat: string): Buffer {
  if (audioFormat !== 'audio/wav' || file.length < 44 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 36, 40) !== 'data') return file;
  file.writeUInt32LE(file.length - 8, 4);
  file.writeUInt32LE(file.length - 44, 40);
  return file;
}

export function captionDocumentFraming(audioFormat: string, timestamps: boolean): SpeechFraming {
  // Bounded by the input limit (KOKORO_MAX_INPUT_CHARS): the document is the whole input's audio.
  const pieces: Buffer[] = [];
  const words: CaptionTimestamp[] = [];
  return {
    contentType: 'application/json',
    whole: true,
    chunk(encoded: Buffer, a: TurnAudio<undefined>): Body {
      if (timestamps) {
        const timed = turnTimestamps(a);
        if (timed === undefined) throw cannotTime('return_timestamps');
        words.push(...timed);
      }
      pieces.push(encoded);
      return null;
    },
    failed: () => null,
    end(tail: Buffer): Body {
      pieces.push(tail);
      const audio = withWavSizes(Buffer.concat(pieces), audioFormat).toString('base64');
      return JSON.stringify({ audio, audio_format: audioFormat, timestamps: timestamps ? words : null });
    },
  };
}
