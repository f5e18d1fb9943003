/**
 * ElevenLabs voice ids -> Kokoro voices, for the ElevenLabs-compatible sockets
 * (docs/elevenlabs.md has the table). The path's `{voice_id}` may be a Kokoro voice
 * (or mix) directly, or one of ElevenLabs' well-known premade voices, by id or by name
 * (case-insensitive), mapped to a Kokoro voice of the same expressed gender and accent.
 * The defaults of LiveKit (Bella, EXAVITQu4vr4xnSDxMaL) and of ElevenLabs' examples
 * (Rachel, George) are among them. Anything else is refused: a cloned or library voice
 * cannot be imitated, and a silent substitute would hide the mistake.
 */
import { resolveVoiceName } from '../../shared/voices.ts';

interface Premade {
  name: string;
  kokoro: string;
}

/** Premade voice id -> its name and the Kokoro voice it maps to. */
const PREMADE: Readonly<Record<string, Premade>> = {
  '21m00Tcm4TlvDq8ikWAM': { name: 'rachel', kokoro: 'af_heart' },
  EXAVITQu4vr4xnSDxMaL: { name: 'bella', kokoro: 'af_bella' },
  AZnzlk1XvdvUeBnXmlld: { name: 'domi', kokoro: 'af_nicole' },
  MF3mGyEYCl7XYWbV9V6O: { name: 'elli', kokoro: 'af_sky' },
  cgSgspJ2msm6clMCkdW9: { name: 'jessica', kokoro: 'af_jessica' },
  pNInz6obpgDQGcFmaJgB: { name: 'adam', kokoro: 'am_adam' },
  ErXwobaYiN019PkySvjV: { name: 'antoni', kokoro: 'am_michael' },
  TxGEqnHWrfWFTfGW9XjX: { name: 'josh', kokoro: 'am_fenrir' },
  VR6AewLTigWG4xSOukaG: { name: 'arnold', kokoro: 'am_onyx' },
  yoZ06aMxZJJ28mfd3POQ: { name: 'sam', kokoro: 'am_puck' },
  nPczCjzI2devNBz1zQrb: { name: 'brian', kokoro: 'am_eric' },
  TX3LPaxmHKxFdv7VOQHJ: { name: 'liam', kokoro: 'am_liam' },
  JBFqnCBsd6RMkjVDRZzb: { name: 'george', kokoro: 'bm_george' },
  onwK4e9ZLuTAKqWW03F9: { name: 'daniel', kokoro: 'bm_daniel' },
  Xb7hH8MSUJpSbSDYk0k2: { name: 'alice', kokoro: 'bf_alice' },
  pFZP5JQG7iQjIQuC4Bku: { name: 'lily', kokoro: 'bf_lily' },
  XB0fDUnXU5powFXDhCwa: { name: 'charlotte', kokoro: 'bf_emma' },
};

const BY_NAME: ReadonlyMap<string, string> = new Map(Object.values(PREMADE).map((p) => [p.name, p.kokoro]));

/** The premade voices, for docs and tests: [id, name, kokoro]. */
export function premadeVoices(): Array<[string, string, string]> {
  return Object.entries(PREMADE).map(([id, p]) => [id, p.name, p.kokoro]);
}

/** The Kokoro voice string of an ElevenLabs `voice_id`, or null when there is none. */
export function resolveElevenLabsVoice(voiceId: string): string | null {
  if (Object.hasOwn(PREMADE, voiceId)) return PREMADE[voiceId]!.kokoro;
  return BY_NAME.get(voiceId.toLowerCase()) ?? resolveVoiceName(voiceId);
}
