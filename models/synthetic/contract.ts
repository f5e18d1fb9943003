/**
 * The numbers that define the synthetic Kokoro models' audio. The generator bakes them into
 * the graphs and test/helpers/synthetic-audio.ts reads them back, so a test can predict the
 * exact length of any output and recognise which input produced it.
 *
 *   hop     = floor(f32(SAMPLES_PER_TOKEN / clip(speed, SPEED_MIN, SPEED_MAX)))   samples per token
 *   samples = N * hop                                       N counts both pad ids
 *   token i = samples [i*hop, (i+1)*hop): a sine of TONE_BASE_HZ + TONE_STEP_HZ*id, phase 0 at the
 *             segment start, peak amplitude A * (1 - MIX + MIX*m_i), where
 *   A       = AMP_BASE + AMP_STYLE * tanh(AMP_STYLE_GAIN * mean(style))  and
 *   m_i     = the MatMul stack's output for token i, in (-1, 1).
 */

export const SAMPLE_RATE = 24_000;
export const SAMPLES_PER_TOKEN = 600;
export const SPEED_MIN = 0.1;
export const SPEED_MAX = 10;

/** Embedding rows: the Kokoro vocabulary size. Larger ids make the model fail, like Kokoro. */
export const VOCAB_SIZE = 178;
export const STYLE_DIM = 256;

/** Tones stay below Nyquist for every id: 200 + 40 * 177 = 7280 Hz. */
export const TONE_BASE_HZ = 200;
export const TONE_STEP_HZ = 40;

export const AMP_BASE = 0.5;
export const AMP_STYLE = 0.3;
export const AMP_STYLE_GAIN = 2;
/** Share of the peak the MatMul stack controls. */
export const MIX = 0.1;
