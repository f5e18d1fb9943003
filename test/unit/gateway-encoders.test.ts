import t from 'tap';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { MPEGDecoder } from 'mpg123-decoder';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { createFlacEncoder } from '../../src/gateway/encoders/flac.ts';
import { createMp3Encoder } from '../../src/gateway/encoders/mp3.ts';
import { oggCrc, OggWriter } from '../../src/gateway/encoders/ogg.ts';
import { createOpusEncoder, PRE_SKIP_48K } from '../../src/gateway/encoders/opus.ts';
import type { AudioEncoder } from '../../src/gateway/encoders/types.ts';

const RATE = 24000;

function tone(samples: number, freq = 440): Float32Array {
  const pcm = new Float32Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = 0.5 * Math.sin((2 * Math.PI * freq * i) / RATE);
  return pcm;
}

/** Encode in uneven pieces, as synthesized chunks arrive. */
function encodeInPieces(encoder: AudioEncoder, pieces: number[]): Buffer {
  const out = pieces.map((n) => encoder.encode(tone(n)));
  out.push(encoder.finish());
  return Buffer.concat(out);
}

function rms(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s / Math.max(1, a.length));
}

t.test('the Ogg CRC is CRC-32 with polynomial 0x04c11db7, init 0, no reflection, no final xor', async (t) => {
  // CRC-32/POSIX of "123456789" is 0x765e7680 after its final xor; without it: 0x89a1897f.
  t.equal(oggCrc(Buffer.from('123456789')), 0x89a1897f);
  t.equal(oggCrc(Buffer.alloc(0)), 0);
});

t.test('an Ogg page laces packets and splits runs over 255 segments into several pages', async (t) => {
  const ogg = new OggWriter(7);
  const page = ogg.page([Buffer.alloc(255, 1), Buffer.alloc(3, 2)], 42n, 0x02);
  t.equal(page.toString('ascii', 0, 4), 'OggS');
  t.equal(page.readUInt8(5), 0x02);
  t.equal(page.readBigInt64LE(6), 42n);
  t.equal(page.readUInt32LE(14), 7);
  t.same([...page.subarray(26, 26 + 1 + page.readUInt8(26))], [3, 255, 0, 3]);
  const withoutCrc = Buffer.from(page);
  withoutCrc.writeUInt32LE(0, 22);
  t.equal(page.readUInt32LE(22), oggCrc(withoutCrc), 'the CRC covers the page with its CRC field zeroed');

  const packets = Array.from({ length: 300 }, () => Buffer.alloc(10));
  const pages = ogg.pages(packets, (i) => BigInt(i + 1), 0x04);
  t.equal(pages.length, 2);
  t.equal(pages[0]!.readUInt8(26), 255);
  t.equal(pages[0]!.readBigInt64LE(6), 255n, 'a page carries the granule of its last packet');
  t.equal(pages[1]!.readUInt8(5), 0x04, 'only the last page has the end-of-stream flag');
  t.equal(pages[1]!.readUInt32LE(18), 2, 'page sequence numbers continue');
});

t.test('mp3 decodes at 24 kHz with the duration that was encoded', async (t) => {
  const bytes = encodeInPieces(createMp3Encoder(RATE), [7000, 13000, 4000]);
  const decoder = new MPEGDecoder();
  await decoder.ready;
  t.teardown(() => decoder.free());
  const out = decoder.decode(bytes);
  t.equal(out.errors.length, 0);
  t.equal(out.sampleRate, RATE);
  t.ok(Math.abs(out.samplesDecoded - 24000) <= 2 * 1152, `decoded ${out.samplesDecoded} samples for 24000`);
  t.ok(rms(out.channelData[0]!) > 0.2, 'the tone survived');
});

t.test('ogg opus decodes, declares 24 kHz input, and trims to the exact duration', async (t) => {
  const bytes = encodeInPieces(createOpusEncoder(RATE), [1000, 12345, 10655]);
  t.equal(bytes.toString('ascii', 28, 36), 'OpusHead');
  t.equal(bytes.readUInt16LE(28 + 10), PRE_SKIP_48K);
  t.equal(bytes.readUInt32LE(28 + 12), RATE);
  const decoder = new OggOpusDecoder();
  await decoder.ready;
  t.teardown(() => decoder.free());
  const out = await decoder.decodeFile(bytes);
  t.equal(out.errors.length, 0);
  t.equal(out.sampleRate, 48000);
  t.equal(out.samplesDecoded, 48000, 'one second of input is one second of output, at 48 kHz');
  t.ok(rms(out.channelData[0]!) > 0.2, 'the tone survived');
});

t.test('flac decodes at 24 kHz, 16 bits, with every sample', async (t) => {
  const encoder = await createFlacEncoder(RATE);
  const bytes = encodeInPieces(encoder, [5000, 19000]);
  t.equal(bytes.toString('ascii', 0, 4), 'fLaC');
  const decoder = new FLACDecoder();
  await decoder.ready;
  t.teardown(() => decoder.free());
  const out = await decoder.decodeFile(bytes);
  t.equal(out.errors.length, 0);
  t.equal(out.sampleRate, RATE);
  t.equal(out.bitDepth, 16);
  t.equal(out.samplesDecoded, 24000);
  const expected = tone(5000);
  t.ok(Math.abs(out.channelData[0]![1234]! - expected[1234]!) < 1e-3, 'lossless to 16 bits');
});

t.test('an encoder closed without finishing releases itself and emits nothing more', async (t) => {
  for (const encoder of [createMp3Encoder(RATE), createOpusEncoder(RATE), await createFlacEncoder(RATE)]) {
    encoder.encode(tone(4800));
    encoder.close();
    encoder.close();
    t.equal(encoder.finish().length, 0);
  }
});
