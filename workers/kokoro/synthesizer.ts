/**
 * Text -> PCM on this worker's own session, with kokoro-js doing what it does best:
 * normalisation, espeak-ng phonemes, its voice files and its style-row selection.
 *
 * kokoro-js's KokoroTTS accepts any model object; `generate_from_ids()` loads the voice,
 * picks the style row for the token count and calls `model(inputs)`. We hand it a model
 * function that runs our session, so inference has exactly one runtime and our options.
 * We never call its `generate()` for synthesis: its tokenizer truncates long input, and
 * a truncated chunk is lost words. Text whose phonemes run over the limit is cut into pieces
 * at pauses (phoneme-split.ts), each synthesized, the audio joined; phonemes the caller gave
 * over the limit are refused (text_too_long, with the count).
 */
import { KokoroTTS } from 'kokoro-js';
import type { VoiceComponent } from '../../src/shared/voices.ts';
import type { Language } from '../../src/shared/languages.ts';
import { languageOfVoiceId } from '../../src/shared/languages.ts';
import { phonemizeIn } from './phonemize.ts';
import type { KokoroSession } from './session.ts';
import { MAX_PHONEME_TOKENS, frameIds, phonemesToIds } from './tokenizer.ts';
import { splitPhonemes } from './phoneme-split.ts';
import { mixedStyle } from './voices.ts';

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class SynthesisRefused extends Error {
  constructor(
    readonly code: 'text_too_long' | 'empty_text',
    message: string,
    readonly tokens?: number,
  ) {
    super(message);
  }
}

export interface Synthesized {
  pcm: Float32Array;
  tokens: number;
  phonemes: string;
  phonemizeMs: number;
  inferenceMs: number;
}

interface ModelInputs {
  input_ids: { data: BigInt64Array };
  style: { data: Float32Array };
  speed: { data: ArrayLike<number> };
}

export class KokoroSynthesizer {
  readonly #session: KokoroSession;
  readonly #tts: KokoroTTS;

  constructor(session: KokoroSession) {
    this.#session = session;
    const model = async (inputs: ModelInputs) => ({
      waveform: { data: await session.run(inputs.input_ids.data, inputs.style.data, Number(inputs.speed.data[0])) },
    });
    this.#tts = new KokoroTTS(model as never, null as never);
  }

  /**
   * `components` come from parseVoice(): validated catalogue voices with normalised weights.
   * The text is read in `lang`, or else in the first voice's language (voice mixes may cross languages).
   */
  async synthesize(input: { text?: string; phonemes?: string }, components: readonly VoiceComponent[], speed: number, lang?: Language): Promise<Synthesized> {
    const first = components[0];
    if (first === undefined) throw new Error('no voice');
    const t0 = performance.now();
    const phonemes = input.phonemes ?? (await phonemizeIn(input.text ?? '', lang ?? languageOfVoiceId(first.id) ?? 'en-us'));
    const ids = phonemesToIds(phonemes);
    const t1 = performance.now();
    if (ids.length === 0) throw new SynthesisRefused('empty_text', 'the text has nothing to speak');
    if (ids.length > MAX_PHONEME_TOKENS && input.phonemes !== undefined) {
      // Phonemes the caller wrote are the caller's to split; text we phonemized is ours (below).
      throw new SynthesisRefused(
        'text_too_long',
        `the text needs ${ids.length} phoneme tokens; a chunk may have at most ${MAX_PHONEME_TOKENS}: split it`,
        ids.length,
      );
    }
    // A phrase over the limit (the chunker's estimate missed) is cut at pauses and spoken whole.
    const pieces = ids.length > MAX_PHONEME_TOKENS ? splitPhonemes(phonemes, MAX_PHONEME_TOKENS).map(phonemesToIds) : [ids];
    const audio: Float32Array[] = [];
    for (const piece of pieces) audio.push(await this.#infer(piece, components, speed));
    const pcm = audio.length === 1 ? audio[0]! : concat(audio);
    return { pcm, tokens: ids.length, phonemes, phonemizeMs: t1 - t0, inferenceMs: performance.now() - t1 };
  }

  /** One model run: a voice's own style through kokoro-js, or a mix of styles on our session. */
  async #infer(ids: readonly number[], components: readonly VoiceComponent[], speed: number): Promise<Float32Array> {
    const framed = frameIds(ids);
    if (components.length === 1) {
      const audio = await this.#tts.generate_from_ids({ dims: [1, framed.length], data: framed } as never, { voice: components[0]!.id as never, speed });
      return audio.audio as Float32Array;
    }
    return this.#session.run(framed, await mixedStyle(components, ids.length), speed);
  }
}
