/**
 * What an ElevenLabs stream-input upgrade asks for: the voice in its path and the query
 * (`output_format`, `model_id`, `sync_alignment`...). `output_format` is one of
 * `pcm_<rate>` (s16le), `ulaw_8000`, `alaw_8000` or `mp3_<rate>_<kbps>`; ElevenLabs'
 * default is mp3_44100_128. Opus is refused: no streaming Ogg/Opus encoder per context
 * here. Other query names (model_id, language_code, auto_mode, inactivity_timeout,
 * enable_ssml_parsing...) are accepted and ignored: Kokoro has one model.
 */
import type { ErrorCode } from '../../errors.ts';
import { resolveElevenLabsVoice } from './voices.ts';

export const PCM_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;
/** MPEG-1/2 layer III rates and the bitrates ElevenLabs offers at them. */
const MP3_FORMATS = ['mp3_22050_32', 'mp3_44100_32', 'mp3_44100_64', 'mp3_44100_96', 'mp3_44100_128', 'mp3_44100_192'] as const;
export const DEFAULT_OUTPUT_FORMAT = 'mp3_44100_128';

export type OutputFormat =
  | { kind: 'pcm'; sampleRate: number }
  | { kind: 'ulaw' | 'alaw'; sampleRate: 8000 }
  | { kind: 'mp3'; sampleRate: number; kbps: number };

export interface ElevenLabsSettings {
  /** The voice id as the client wrote it, and the Kokoro voice it resolved to. */
  voiceId: string;
  voice: string;
  format: OutputFormat;
  formatName: string;
}

export interface SettingsFault {
  code: ErrorCode;
  message: string;
}

export function parseOutputFormat(name: string): OutputFormat | undefined {
  const pcm = /^pcm_(\d+)$/.exec(name);
  if (pcm !== null) {
    const rate = Number(pcm[1]);
    return (PCM_RATES as readonly number[]).includes(rate) ? { kind: 'pcm', sampleRate: rate } : undefined;
  }
  if (name === 'ulaw_8000') return { kind: 'ulaw', sampleRate: 8000 };
  if (name === 'alaw_8000') return { kind: 'alaw', sampleRate: 8000 };
  if ((MP3_FORMATS as readonly string[]).includes(name)) {
    const [, rate, kbps] = name.split('_');
    return { kind: 'mp3', sampleRate: Number(rate), kbps: Number(kbps) };
  }
  return undefined;
}

export function parseElevenLabsSettings(voiceId: string, query: Record<string, unknown>): { ok: true; settings: ElevenLabsSettings } | { ok: false; fault: SettingsFault } {
  const voice = resolveElevenLabsVoice(voiceId);
  if (voice === null) {
    return { ok: false, fault: { code: 'invalid_voice', message: `voice_id "${voiceId.slice(0, 100)}" is neither a Kokoro voice nor a mapped ElevenLabs premade voice (see docs/elevenlabs.md)` } };
  }
  const raw = query.output_format ?? DEFAULT_OUTPUT_FORMAT;
  const format = typeof raw === 'string' ? parseOutputFormat(raw) : undefined;
  if (format === undefined) {
    const choices = `pcm_{${PCM_RATES.join(',')}}, ulaw_8000, alaw_8000, ${MP3_FORMATS.join(', ')}`;
    return { ok: false, fault: { code: 'invalid_format', message: `output_format must be one of ${choices}` } };
  }
  return { ok: true, settings: { voiceId, voice, format, formatName: raw as string } };
}
