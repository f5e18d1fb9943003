/**
 * Audio of the Deepgram Speak socket at every encoding and sample rate, through the
 * unmodified SDK: raw bytes (no container) that decode to the right duration and signal,
 * in frames every client accepts; and the resampler's band limit.
 */
import alawmulaw from 'alawmulaw';
import t from 'tap';
import { encodeChunk, MAX_FRAME_BYTES } from '../../src/protocols/deepgram/audio.ts';
import { DEEPGRAM_ENCODINGS, DEEPGRAM_SAMPLE_RATES, type DeepgramEncoding } from '../../src/protocols/deepgram/query.ts';
import { floatToS16le, resample } from '../../src/common/audio.ts';
import { audioOf, SpeakClient, wsBase } from '../helpers/deepgram-client.ts';
import { fakePcm } from '../helpers/fake-pool.ts';
import { startHost } from '../helpers/gateway.ts';

function decode(bytes: Buffer, encoding: DeepgramEncoding): Int16Array {
  if (encoding === 'mulaw') return alawmulaw.mulaw.decode(bytes);
  if (encoding === 'alaw') return alawmulaw.alaw.decode(bytes);
  const out = new Int16Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}

/** Signal-to-noise ratio of `got` against `want`, in dB. */
function snrDb(got: Int16Array, want: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < want.length; i++) {
    signal += want[i]! ** 2;
    noise += (want[i]! - (got[i] ?? 0)) ** 2;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-9));
}

function rms(pcm: Float32Array, from = 0, to = pcm.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i]! ** 2;
  return Math.sqrt(sum / (to - from));
}

function tone(hz: number, seconds: number, rate = 24000): Float32Array {
  const pcm = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < pcm.length; i++) pcm[i] = 0.5 * Math.sin((2 * Math.PI * hz * i) / rate);
  return pcm;
}

t.test('every encoding at every sample rate decodes to the expected duration and signal', async (t) => {
  const host = await startHost(t);
  const text = 'This reply is long enough to span a few phrases. It goes on for a while, so the duration is measurable. Then it ends here.';
  for (const encoding of DEEPGRAM_ENCODINGS) {
    for (const rate of DEEPGRAM_SAMPLE_RATES) {
      const label = `${encoding} at ${rate} Hz`;
      const calls = host.pool.calls.length;
      const client = await SpeakClient.open(t, wsBase(host.base), { model: 'af_heart', encoding, sample_rate: String(rate) });
      client.speak(text);
      client.flush();
      const messages = await client.until('Flushed');
      const bytes = await audioOf(messages);
      const chunks = host.pool.calls.slice(calls).map((c) => fakePcm(c.text, 'af_heart', 1));
      const seconds = chunks.reduce((n, c) => n + c.length, 0) / 24000;
      const samples = encoding === 'linear16' ? bytes.length / 2 : bytes.length;
      const got = samples / rate;
      t.ok(Math.abs(got - seconds) <= 0.05 * seconds, `${label}: ${got.toFixed(3)} s of audio for ${seconds.toFixed(3)} s synthesized (±5%)`);
      t.equal(samples, chunks.reduce((n, c) => n + Math.round((c.length * rate) / 24000), 0), `${label}: exact sample count`);
      const reference = decode(Buffer.concat(chunks.map((c) => floatToS16le(resample(c, 24000, rate)))), 'linear16');
      const snr = snrDb(decode(bytes, encoding), reference);
      t.ok(snr > (encoding === 'linear16' ? 90 : 30), `${label}: decodes to the synthesized signal (SNR ${snr.toFixed(1)} dB)`);
      client.sendClose();
      t.equal((await client.closed).code, 1000, `${label}: Close ends with 1000`);
    }
  }
});

t.test('audio frames stay under the frame cap and keep s16 samples whole', async (t) => {
  const host = await startHost(t, {}, { samplesPerChar: 2400 });
  const client = await SpeakClient.open(t, wsBase(host.base), { encoding: 'linear16', sample_rate: '48000' });
  client.speak('Ten times the audio per character, at the highest rate.');
  client.flush();
  const messages = await client.until('Flushed');
  const sizes = messages.flatMap((m) => (m.kind === 'audio' ? [m.blob.size] : []));
  t.ok(sizes.length > 1, `a long phrase is split (${sizes.length} frames)`);
  t.ok(sizes.every((n) => n <= MAX_FRAME_BYTES && n % 2 === 0), `every frame at most ${MAX_FRAME_BYTES} bytes, even`);
});

t.test('downsampling is band-limited: content above the new Nyquist is removed, not folded back', (t) => {
  const pass = tone(1000, 0.5);
  const stop = tone(6000, 0.5);
  for (const [rate, above] of [[8000, stop], [16000, tone(10000, 0.5)]] as const) {
    const kept = decode(encodeChunk(pass, 'linear16', rate), 'linear16');
    const folded = decode(encodeChunk(above, 'linear16', rate), 'linear16');
    const asFloat = (s: Int16Array) => Float32Array.from(s, (v) => v / 32768);
    const edge = Math.round(rate * 0.05);
    const keptRms = rms(asFloat(kept), edge, kept.length - edge);
    const foldedRms = rms(asFloat(folded), edge, folded.length - edge);
    t.ok(Math.abs(keptRms - rms(pass)) < 0.02, `${rate} Hz: a 1 kHz tone passes (rms ${keptRms.toFixed(3)})`);
    t.ok(foldedRms < 0.005, `${rate} Hz: a tone above Nyquist is removed (rms ${foldedRms.toFixed(4)})`);
  }
  t.end();
});
