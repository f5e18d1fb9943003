/**
 * Applies inline markup (src/shared/markup.ts) in the worker: plain runs are normalised
 * (English pre-normaliser) and phonemized, phoneme tags are used as given, and a pause
 * splits the chunk: each side is synthesized on its own and exactly that much silence
 * (zeros) goes between them. Text without markup takes the same path as before, one
 * synthesis of the whole chunk.
 */
import { hasMarkup, parseMarkup } from '../src/shared/markup.ts';
import { measureSilence, type Silence } from '../src/shared/silence.ts';
import type { VoiceComponent } from '../src/shared/voices.ts';
import { languageOfVoiceId, type Language } from '../src/shared/languages.ts';
import { otherLanguageG2p } from './g2p/index.ts';
import { englishVoiceFor, phonemize } from './kokoro/phonemize.ts';
import { SynthesisRefused, type KokoroSynthesizer, type Synthesized } from './kokoro/synthesizer.ts';
import { SAMPLE_RATE, phonemesToIds } from './kokoro/tokenizer.ts';
import { normalizeEnglish } from './normalize-en.ts';

export interface Spoken extends Synthesized {
  /** A pause at the chunk's start or end is meant: the joins must not trim it. */
  pausedEdges: { lead: boolean; trail: boolean };
}

type Run = { kind: 'speech'; phonemes: string } | { kind: 'pause'; samples: number };

/** Phonemes for plain text, in `lang` or else in this voice's language (README: Languages). */
export async function textPhonemes(text: string, voice: string, lang?: Language): Promise<string> {
  if (text.trim() === '') return '';
  const language = lang ?? languageOfVoiceId(voice) ?? 'en-us';
  if (language === 'en-us' || language === 'en-gb') return phonemize(normalizeEnglish(text), englishVoiceFor(language));
  return (await otherLanguageG2p(text, language)).phonemes;
}

/** The chunk as speech runs and pauses; phoneme tags and plain text of one run are joined by a space. */
export async function pronounce(text: string, voice: string, lang?: Language): Promise<Run[]> {
  const runs: Run[] = [];
  let parts: string[] = [];
  const close = () => {
    // Punctuation after a tag ("[tomato](/…/).") belongs to the word before it, as in plain text.
    const phonemes = parts.filter((p) => p !== '').reduce((all, p) => (all === '' ? p : /^[.,!?;:…—]/u.test(p) ? all + p : `${all} ${p}`), '');
    if (phonemesToIds(phonemes).length > 0) runs.push({ kind: 'speech', phonemes });
    parts = [];
  };
  for (const seg of parseMarkup(text)) {
    if (seg.kind === 'pause') {
      close();
      runs.push({ kind: 'pause', samples: Math.round(seg.seconds * SAMPLE_RATE) });
    } else {
      parts.push(seg.kind === 'phonemes' ? seg.phonemes.trim() : await textPhonemes(seg.text, voice, lang));
    }
  }
  close();
  return runs;
}

/** What the worker synthesizes for a request: markup applied, pauses inserted. */
export async function speak(
  synth: KokoroSynthesizer,
  input: { text?: string; phonemes?: string; words?: boolean },
  components: readonly VoiceComponent[],
  speed: number,
  lang?: Language,
): Promise<Spoken> {
  const noEdges = { lead: false, trail: false };
  const voice = components[0]?.id ?? '';
  if (input.phonemes !== undefined) return { ...(await synth.synthesize(input, components, speed, lang)), pausedEdges: noEdges };
  const text = input.text ?? '';
  const t0 = performance.now();
  if (!hasMarkup(text)) {
    // The text goes along with its phonemes so the words can be located and timed (word-align.ts).
    const phonemes = await textPhonemes(text, voice, lang);
    const out = await synth.synthesize({ text, phonemes, words: input.words === true }, components, speed, lang);
    return { ...out, phonemizeMs: out.phonemizeMs + performance.now() - t0, pausedEdges: noEdges };
  }
  const runs = await pronounce(text, voice, lang);
  const phonemizeMs = performance.now() - t0;
  if (!runs.some((r) => r.kind === 'speech') && !runs.some((r) => r.kind === 'pause')) throw new SynthesisRefused('empty_text', 'the text has nothing to speak');
  const pieces: Float32Array[] = [];
  let tokens = 0;
  let inferenceMs = 0;
  const said: string[] = [];
  for (const run of runs) {
    if (run.kind === 'pause') {
      pieces.push(new Float32Array(run.samples));
      continue;
    }
    const out = await synth.synthesize({ phonemes: run.phonemes }, components, speed);
    pieces.push(out.pcm);
    tokens += out.tokens;
    inferenceMs += out.inferenceMs + out.phonemizeMs;
    said.push(out.phonemes);
  }
  const pcm = new Float32Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    pcm.set(p, at);
    at += p.length;
  }
  const pausedEdges = { lead: runs[0]?.kind === 'pause', trail: runs.at(-1)?.kind === 'pause' };
  // Pieces around pauses and tags are synthesized from phonemes: such a chunk is not timed (words undefined).
  return { pcm, tokens, phonemes: said.join(' '), phonemizeMs, inferenceMs, words: undefined, pausedEdges };
}

/** Leading and trailing silence for the joins, a meant pause at an edge not counted as trimmable. */
export function silenceOf(spoken: Spoken, thresholdDbfs?: number): Silence {
  const measured = measureSilence(spoken.pcm, thresholdDbfs);
  if (measured.lead >= spoken.pcm.length) return measured;
  return { lead: spoken.pausedEdges.lead ? 0 : measured.lead, trail: spoken.pausedEdges.trail ? 0 : measured.trail };
}
