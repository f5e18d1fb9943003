/**
 * Text -> PCM on this worker's own session, with kokoro-js doing what it does best:
 * normalisation, espeak-ng phonemes, its voice files and its style-row selection.
 *
 * kokoro-js's KokoroTTS accepts any model object; `generate_from_ids()` loads the voice,
 * picks the style row for the token count and calls `model(inputs)`. We hand it a model
 * function that runs our session, so inference has exactly one runtime and our options.
 * We never call its `generate()` for synthesis: its tokenizer truncates long input, and
 * a truncated chunk is lost words. Text whose phonemes run over the limit is cut into pieces
 * at pauses (phoneme-split.ts), each synthesized, the audio joined (untimed); phonemes without
 * their text over the limit are refused (text_too_long, with the count). The text is read in
 * the request's language, else the first voice's: English by kokoro-js, the others by
 * workers/g2p, whose front ends also return each word's span.
 *
 * When the session gives durations, the text goes through g2p() (phonemes and their words) and
 * each word is timed (word-times.ts); ready phonemes have no words to time.
 */
import { KokoroTTS } from 'kokoro-js';
import { languageOfVoiceId, type Language } from '../../src/shared/languages.ts';
import type { VoiceComponent } from '../../src/shared/voices.ts';
import type { G2pWord, WordTiming } from '../../src/shared/word-timing.ts';
import { englishVoiceFor, locateWords, phonemize } from './phonemize.ts';
import { otherLanguageG2p } from '../g2p/index.ts';
import { splitPhonemes } from './phoneme-split.ts';
import type { KokoroSession } from './session.ts';
import { MAX_PHONEME_TOKENS, SAMPLE_RATE, frameIds, phonemesToIds } from './tokenizer.ts';
import { mixedStyle } from './voices.ts';
import { endAtLastSound, wordTimes } from './word-times.ts';

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
  /** Each word's time in `pcm`; undefined when the session cannot time. */
  words: WordTiming[] | undefined;
}

interface ModelInputs {
  input_ids: { data: BigInt64Array };
  style: { data: Float32Array };
  speed: { data: ArrayLike<number> };
}

export class KokoroSynthesizer {
  readonly #session: KokoroSession;
  readonly #tts: KokoroTTS;
  /**
   * The durations of the last run through kokoro-js, which passes on only the waveform. A worker
   * runs one chunk at a time, so the run that set it is the one being read.
   */
  #lastDurations: number[] | undefined;

  constructor(session: KokoroSession) {
    this.#session = session;
    const model = async (inputs: ModelInputs) => {
      const out = await session.run(inputs.input_ids.data, inputs.style.data, Number(inputs.speed.data[0]));
      this.#lastDurations = out.durations;
      return { waveform: { data: out.audio } };
    };
    this.#tts = new KokoroTTS(model as never, null as never);
  }

  /**
   * `components` come from parseVoice(): validated catalogue voices with normalised weights.
   * The text is read in `lang`, or else in the first voice's language (voice mixes may cross languages).
   */
  async synthesize(input: { text?: string; phonemes?: string; words?: boolean }, components: readonly VoiceComponent[], speed: number, lang?: Language): Promise<Synthesized> {
    const first = components[0];
    if (first === undefined) throw new Error('no voice');
    const t0 = performance.now();
    const timed = this.#session.timing.ok;
    const language = lang ?? languageOfVoiceId(first.id) ?? 'en-us';
    const english = language === 'en-us' || language === 'en-gb' ? englishVoiceFor(language) : undefined;
    const other = (text: string) => otherLanguageG2p(text, language as Exclude<Language, 'en-us' | 'en-gb'>);
    const phonemes = input.phonemes ?? (english !== undefined ? await phonemize(input.text ?? '', english) : (await other(input.text ?? '')).phonemes);
    const ids = phonemesToIds(phonemes);
    if (ids.length === 0) throw new SynthesisRefused('empty_text', 'the text has nothing to speak');
    if (ids.length > MAX_PHONEME_TOKENS && input.text === undefined) {
      // Phonemes without their text (a caller's, a markup run's) are refused: the caller splits them.
      throw new SynthesisRefused(
        'text_too_long',
        `the text needs ${ids.length} phoneme tokens; a chunk may have at most ${MAX_PHONEME_TOKENS}: split it`,
        ids.length,
      );
    }
    if (ids.length > MAX_PHONEME_TOKENS) {
      // A phrase over the limit (the chunker's estimate missed) is cut at pauses and spoken whole, untimed.
      const t1 = performance.now();
      const audio: Float32Array[] = [];
      for (const piece of splitPhonemes(phonemes, MAX_PHONEME_TOKENS)) audio.push(await this.#infer(phonemesToIds(piece), components, speed));
      return { pcm: concat(audio), tokens: ids.length, phonemes, phonemizeMs: t1 - t0, inferenceMs: performance.now() - t1, words: undefined };
    }
    // Words are located only when asked, in a chunk that will be spoken and timed, and only in the
    // text its phonemes were read from: phonemes a caller wrote have no words to time. English
    // words are located by their own phonemes; the other languages' front ends return them.
    const wanted = timed && input.words === true && input.text !== undefined;
    const g2pWords: readonly G2pWord[] = !wanted ? [] : english !== undefined ? await locateWords(input.text!, phonemes, english) : (await other(input.text!)).words;
    const t1 = performance.now();
    const framed = frameIds(ids);
    let pcm: Float32Array;
    let durations: number[] | undefined;
    if (components.length === 1) {
      this.#lastDurations = undefined;
      const audio = await this.#tts.generate_from_ids({ dims: [1, framed.length], data: framed } as never, { voice: first.id as never, speed });
      pcm = audio.audio as Float32Array;
      durations = this.#lastDurations;
    } else {
      ({ audio: pcm, durations } = await this.#session.run(framed, await mixedStyle(components, ids.length), speed));
    }
    const timedWords =
      wanted && durations !== undefined
        ? wordTimes({ text: input.text ?? '', phonemes, words: g2pWords, durations, samples: pcm.length, sampleRate: SAMPLE_RATE })
        : undefined;
    const words = timedWords === undefined ? undefined : endAtLastSound(timedWords, pcm, SAMPLE_RATE);
    return { pcm, tokens: ids.length, phonemes, phonemizeMs: t1 - t0, inferenceMs: performance.now() - t1, words };
  }

  /** One model run for a piece of an over-long phrase (its durations unused: split chunks are untimed). */
  async #infer(ids: readonly number[], components: readonly VoiceComponent[], speed: number): Promise<Float32Array> {
    const framed = frameIds(ids);
    if (components.length === 1) {
      const audio = await this.#tts.generate_from_ids({ dims: [1, framed.length], data: framed } as never, { voice: components[0]!.id as never, speed });
      return audio.audio as Float32Array;
    }
    return (await this.#session.run(framed, await mixedStyle(components, ids.length), speed)).audio;
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
