/**
 * What the pipeline asks of the synthesizer for one chunk, and how the answer becomes the
 * audio a listener gets. Pure, so turn-pipeline.ts keeps only its ordering mechanism.
 */
import type { Language } from '../shared/languages.ts';
import type { Silence } from '../shared/silence.ts';
import type { SynthesizedAudio, SynthesizeRequest } from '../synth/types.ts';
import { boundaryAfter, msToSamples, shapeChunk, type JoinSettings } from './join-silence.ts';
import type { ChunkAudio } from './turn-types.ts';
import { shiftWords } from './word-shift.ts';

export interface ChunkSettings {
  voice: string;
  speed: number;
  lang?: Language | undefined;
}

/** The chunk's own settings over the turn's; word times only when the turn's client asked. */
export function chunkRequest(
  text: string,
  own: Partial<ChunkSettings>,
  turn: ChunkSettings,
  how: { owner: string; signal: AbortSignal; urgent: boolean; timeWords: boolean },
): SynthesizeRequest {
  const lang = own.lang ?? turn.lang;
  return {
    text,
    voice: own.voice ?? turn.voice,
    speed: own.speed ?? turn.speed,
    ...(lang !== undefined ? { lang } : {}),
    owner: how.owner,
    signal: how.signal,
    urgent: how.urgent,
    ...(how.timeWords ? { words: true } : {}),
  };
}

export function chunkAudio(turnId: string, index: number, text: string, a: SynthesizedAudio): ChunkAudio {
  const { pcm, sampleRate, queueMs, synthMs, provider, words } = a;
  return { turnId, index, text, pcm, sampleRate, queueMs, synthMs, provider, ...(words !== undefined ? { words } : {}) };
}

/**
 * The chunk trimmed for its join (join-silence.ts), its word times moved with the trimmed lead
 * (word-shift.ts); as synthesized, words only clamped, when joins are off or the silence was not
 * measured. `lead` is what this chunk may keep (undefined: the turn's first audio).
 */
export function shapeForJoin(audio: ChunkAudio, silence: Silence | undefined, join: JoinSettings | undefined, lead: number | undefined): { audio: ChunkAudio; nextLead: number | undefined } {
  if (join === undefined || silence === undefined) {
    return { audio: audio.words === undefined ? audio : { ...audio, words: shiftWords(audio.words, 0, audio.pcm.length, audio.sampleRate) }, nextLead: lead };
  }
  const shaped = shapeChunk(audio.pcm, silence, audio.sampleRate, lead ?? msToSamples(join.firstLeadMs, audio.sampleRate), boundaryAfter(audio.text), join);
  const words = audio.words === undefined ? {} : { words: shiftWords(audio.words, shaped.trimmedLead, shaped.pcm.length, audio.sampleRate) };
  return { audio: { ...audio, pcm: shaped.pcm, ...words }, nextLead: shaped.nextLead };
}
