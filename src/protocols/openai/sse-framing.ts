/**
 * OpenAI's speech SSE (`stream_format: "sse"`), with this host's word timing events.
 */
import type { SpeechFraming } from '../../gateway/http-speech/framing.ts';
import { cannotTime, turnTimestamps } from './captions.ts';

function event(data: object): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/**
 * OpenAI's speech SSE: `speech.audio.delta` {audio: base64} per encoded piece, `error` for a
 * skipped chunk, `speech.audio.done` at the end. With timestamps, each chunk's delta is followed
 * by `speech.audio.timestamps` {index, timestamps: [{word, start_time, end_time}]} in seconds on
 * the response's timeline (`null`: that chunk could not be timed, e.g. it came from the
 * upstream fallback). A host that cannot time the first chunk refuses the request instead.
 */
export function sseFraming(timestamps: boolean): SpeechFraming {
  let sent = false;
  return {
    contentType: 'text/event-stream',
    whole: false,
    chunk(encoded, a) {
      const words = timestamps ? turnTimestamps(a) : undefined;
      if (timestamps && words === undefined && !sent) throw cannotTime('return_timestamps');
      sent = true;
      const delta = encoded.length > 0 ? event({ type: 'speech.audio.delta', audio: encoded.toString('base64') }) : '';
      const timing = timestamps ? event({ type: 'speech.audio.timestamps', index: a.index, timestamps: words ?? null }) : '';
      return delta + timing || null;
    },
    failed: (f) => event({ type: 'error', error: { message: f.message, type: 'server_error', param: null, code: f.code, index: f.index } }),
    end(tail) {
      const delta = tail.length > 0 ? event({ type: 'speech.audio.delta', audio: tail.toString('base64') }) : '';
      // Token counts are not measured by this host; the fields exist for OpenAI clients.
      return delta + event({ type: 'speech.audio.done', usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } });
    },
  };
}
