/**
 * Text -> PCM on this worker's own session, with kokoro-js doing what it does best:
 * normalisation, espeak-ng phonemes, its voice files and its style-row selection.
 *
 * kokoro-js's KokoroTTS accepts any model object; `generate_from_ids()` loads the voice,
 * picks the style row for the token count and calls `model(inputs)`. We hand it a model
 * function that runs our session, so inference has exactly one runtime and our options.
 * We never call its `generate()` for synthesis: its tokenizer truncates long input, and
 * a truncated chunk is lost words. Over-long input is refused instead.
 *
 * When the session gives durations, the text goes through g2p() (phonemes and their words) and
 * each word is timed (word-times.ts); ready phonemes have no words to time.
 */
import { KokoroTTS } from 'kokoro-js';
import type { VoiceComponent } from '../../src/shared/voices.ts';
import type { G2pWord, WordTiming } from '../../src/shared/word-timing.ts';
import { locateWords, phonemize } from './phonemize.ts';
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

  /** `components` come from parseVoice(): validated catalogue voices with normalised weights. */
  async synthesize(input: { text?: string; phonemes?: string; words?: boolean }, components: readonly VoiceComponent[], speed: number): Promise<Synthesized> {
    const first = components[0];
    if (first === undefined) throw new Error('no voice');
    const t0 = performance.now();
    const timed = this.#session.timing.ok;
    const phonemes = input.phonemes ?? (await phonemize(input.text ?? '', first.id));
    const ids = phonemesToIds(phonemes);
    if (ids.length === 0) throw new SynthesisRefused('empty_text', 'the text has nothing to speak');
    if (ids.length > MAX_PHONEME_TOKENS) {
      throw new SynthesisRefused(
        'text_too_long',
        `the text needs ${ids.length} phoneme tokens; a chunk may have at most ${MAX_PHONEME_TOKENS}: split it`,
        ids.length,
      );
    }
    // Words are located only when asked, in a chunk that will be spoken and timed, and only in the
    // text its phonemes were read from: phonemes a caller wrote have no words to time.
    const wanted = timed && input.words === true;
    const g2pWords: readonly G2pWord[] = wanted && input.text !== undefined ? await locateWords(input.text, phonemes, first.id) : [];
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
}
