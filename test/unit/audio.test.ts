import t from 'tap';
import { AudioFormatError, durationMs, floatToS16le, parseWav, resample, s16leToFloat, wavHeader } from '../../src/common/audio.ts';

function sine(freq: number, rate: number, samples: number, amp = 0.5): Float32Array {
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Power of `pcm` at `freq` (a single DFT bin), normalised by length. */
function powerAt(pcm: Float32Array, freq: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < pcm.length; i++) {
    re += pcm[i]! * Math.cos((2 * Math.PI * freq * i) / rate);
    im -= pcm[i]! * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (re * re + im * im) / (pcm.length * pcm.length);
}

function wavFile(opts: { rate: number; channels: number; format: number; bits: number; frames: number[][]; extraChunk?: boolean; dataSize?: number }): Buffer {
  const bytes = opts.bits / 8;
  const data = Buffer.alloc(opts.frames.length * opts.channels * bytes);
  let at = 0;
  for (const frame of opts.frames) {
    for (const v of frame) {
      if (opts.format === 3 && opts.bits === 32) data.writeFloatLE(v, at);
      else if (opts.format === 3) data.writeDoubleLE(v, at);
      else if (opts.bits === 8) data.writeUInt8(v, at);
      else if (opts.bits === 16) data.writeInt16LE(v, at);
      else if (opts.bits === 24) data.writeIntLE(v, at, 3);
      else data.writeInt32LE(v, at);
      at += bytes;
    }
  }
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'ascii');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(opts.format, 8);
  fmt.writeUInt16LE(opts.channels, 10);
  fmt.writeUInt32LE(opts.rate, 12);
  fmt.writeUInt32LE(opts.rate * opts.channels * bytes, 16);
  fmt.writeUInt16LE(opts.channels * bytes, 20);
  fmt.writeUInt16LE(opts.bits, 22);
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
  const dataHead = Buffer.alloc(8);
  dataHead.write('data', 0, 'ascii');
  dataHead.writeUInt32LE(opts.dataSize ?? data.length, 4);
  const body = Buffer.concat([Buffer.from('WAVE'), fmt, ...(opts.extraChunk === true ? [list] : []), dataHead, data]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

t.test('floatToS16le is byte-exact, clamps and rounds', async (t) => {
  const buf = floatToS16le(new Float32Array([0, 1, -1, 0.5, -0.5, 2, -2, Number.NaN, 1 / 32767, -1 / 32768, 0.49999 / 32767]));
  t.same([...buf], [0, 0, 0xff, 0x7f, 0x00, 0x80, 0x00, 0x40, 0x00, 0xc0, 0xff, 0x7f, 0x00, 0x80, 0, 0, 1, 0, 0xff, 0xff, 0, 0]);
  t.equal(buf.length, 22);
});

t.test('s16leToFloat inverts floatToS16le exactly for every s16 value', async (t) => {
  const all = Buffer.alloc(65536 * 2);
  for (let i = 0; i < 65536; i++) all.writeInt16LE(i - 32768, i * 2);
  const back = floatToS16le(s16leToFloat(all));
  t.ok(back.equals(all));
  const f = s16leToFloat(new Uint8Array([0x00, 0x80, 0xff, 0x7f, 0, 0]));
  t.same([...f], [-1, 1, 0]);
});

t.test('s16leToFloat reads from an offset view', async (t) => {
  const backing = new Uint8Array([9, 0x00, 0x40, 9]);
  const f = s16leToFloat(backing.subarray(1, 3));
  t.equal(f[0], Math.fround(0x4000 / 32767));
});

t.test('s16leToFloat refuses an odd byte count', async (t) => {
  t.throws(() => s16leToFloat(new Uint8Array(3)), { code: 'invalid_audio' });
});

t.test('wavHeader writes every field', async (t) => {
  const h = wavHeader({ sampleRate: 24000, channels: 1, bitsPerSample: 16, format: 'pcm', dataBytes: 4800 });
  t.equal(h.length, 44);
  t.equal(h.toString('ascii', 0, 4), 'RIFF');
  t.equal(h.readUInt32LE(4), 36 + 4800);
  t.equal(h.toString('ascii', 8, 16), 'WAVEfmt ');
  t.equal(h.readUInt32LE(16), 16);
  t.equal(h.readUInt16LE(20), 1);
  t.equal(h.readUInt16LE(22), 1);
  t.equal(h.readUInt32LE(24), 24000);
  t.equal(h.readUInt32LE(28), 48000);
  t.equal(h.readUInt16LE(32), 2);
  t.equal(h.readUInt16LE(34), 16);
  t.equal(h.toString('ascii', 36, 40), 'data');
  t.equal(h.readUInt32LE(40), 4800);

  const f = wavHeader({ sampleRate: 48000, channels: 2, bitsPerSample: 32, format: 'float', dataBytes: null });
  t.equal(f.readUInt32LE(4), 0xffffffff, 'streaming RIFF size');
  t.equal(f.readUInt32LE(40), 0xffffffff, 'streaming data size');
  t.equal(f.readUInt16LE(20), 3, 'IEEE float');
  t.equal(f.readUInt32LE(28), 48000 * 8);
  t.equal(f.readUInt16LE(32), 8);
});

t.test('wavHeader refuses impossible requests', async (t) => {
  const base = { sampleRate: 24000, channels: 1, bitsPerSample: 16, format: 'pcm', dataBytes: 0 } as const;
  t.throws(() => wavHeader({ ...base, sampleRate: 0 }), { code: 'invalid_audio' });
  t.throws(() => wavHeader({ ...base, sampleRate: 1.5 }), { code: 'invalid_audio' });
  t.throws(() => wavHeader({ ...base, channels: 0 }), { code: 'invalid_audio' });
  t.throws(() => wavHeader({ ...base, format: 'float' }), { code: 'invalid_audio' }, 'float needs 32 bits');
  t.throws(() => wavHeader({ ...base, bitsPerSample: 8 as never }), { code: 'invalid_audio' });
  t.throws(() => wavHeader({ ...base, dataBytes: -1 }), { code: 'invalid_audio' });
  t.throws(() => wavHeader({ ...base, dataBytes: 0xffffffff }), { code: 'invalid_audio' });
});

t.test('parseWav round-trips what wavHeader + floatToS16le write', async (t) => {
  const pcm = sine(440, 24000, 2400);
  const data = floatToS16le(pcm);
  const file = Buffer.concat([wavHeader({ sampleRate: 24000, channels: 1, bitsPerSample: 16, format: 'pcm', dataBytes: data.length }), data]);
  const wav = parseWav(file);
  t.equal(wav.sampleRate, 24000);
  t.equal(wav.channels, 1);
  t.equal(wav.pcm.length, 2400);
  t.ok(floatToS16le(wav.pcm).equals(data), 'samples identical after requantising');

  const f32 = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const streamed = Buffer.concat([wavHeader({ sampleRate: 16000, channels: 1, bitsPerSample: 32, format: 'float', dataBytes: null }), f32]);
  const back = parseWav(streamed);
  t.equal(back.sampleRate, 16000);
  t.same([...back.pcm], [...pcm], 'float samples exact; an unknown data size means the rest of the file');
});

t.test('parseWav mixes stereo down and reads every encoding', async (t) => {
  const stereo = parseWav(wavFile({ rate: 8000, channels: 2, format: 1, bits: 16, frames: [[32767, -32768], [16384, 16384]], extraChunk: true }));
  t.equal(stereo.channels, 2);
  t.same([...stereo.pcm], [0, Math.fround(16384 / 32767)]);
  t.same([...parseWav(wavFile({ rate: 8000, channels: 1, format: 1, bits: 8, frames: [[0], [128], [192]] })).pcm], [-1, 0, 0.5]);
  t.same([...parseWav(wavFile({ rate: 8000, channels: 1, format: 1, bits: 24, frames: [[-8388608], [4194304]] })).pcm], [-1, 0.5]);
  t.same([...parseWav(wavFile({ rate: 8000, channels: 1, format: 1, bits: 32, frames: [[-2147483648], [1073741824]] })).pcm], [-1, 0.5]);
  t.same([...parseWav(wavFile({ rate: 8000, channels: 1, format: 3, bits: 64, frames: [[0.25], [-0.75]] })).pcm], [0.25, -0.75]);
  const zeroSize = parseWav(wavFile({ rate: 8000, channels: 1, format: 1, bits: 16, frames: [[100], [200]], dataSize: 0 }));
  t.equal(zeroSize.pcm.length, 2, 'a data size of 0 (streamed) reads to the end');
});

t.test('parseWav reads WAVE_FORMAT_EXTENSIBLE', async (t) => {
  const data = Buffer.alloc(8);
  data.writeFloatLE(0.5, 0);
  data.writeFloatLE(-0.5, 4);
  const fmt = Buffer.alloc(48);
  fmt.write('fmt ', 0, 'ascii');
  fmt.writeUInt32LE(40, 4);
  fmt.writeUInt16LE(0xfffe, 8);
  fmt.writeUInt16LE(1, 10);
  fmt.writeUInt32LE(22050, 12);
  fmt.writeUInt32LE(22050 * 4, 16);
  fmt.writeUInt16LE(4, 20);
  fmt.writeUInt16LE(32, 22);
  fmt.writeUInt16LE(22, 24);
  fmt.writeUInt16LE(32, 26);
  fmt.writeUInt16LE(3, 32); // sub-format GUID starts with the format tag: float
  const file = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0, 0, 0, 0]), Buffer.from('WAVE'), fmt, Buffer.from('data'), Buffer.from([8, 0, 0, 0]), data]);
  const wav = parseWav(file);
  t.equal(wav.sampleRate, 22050);
  t.same([...wav.pcm], [0.5, -0.5]);
});

t.test('parseWav refuses bad input with invalid_audio', async (t) => {
  const good = wavFile({ rate: 8000, channels: 1, format: 1, bits: 16, frames: [[1]] });
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array()],
    ['not RIFF', Buffer.from('RIFX....WAVEfmt ')],
    ['RIFF but not WAVE', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('AVI ')])],
    ['no chunks', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVE')])],
    ['truncated fmt', good.subarray(0, 24)],
    ['no data chunk', good.subarray(0, 36)],
    ['data before fmt', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEdata'), Buffer.from([2, 0, 0, 0, 1, 0])])],
    ['unsupported encoding (A-law)', wavFile({ rate: 8000, channels: 1, format: 6, bits: 8, frames: [[1]] })],
    ['unsupported float width', wavFile({ rate: 8000, channels: 1, format: 3, bits: 16 as never, frames: [] })],
    ['zero channels', wavFile({ rate: 8000, channels: 0, format: 1, bits: 16, frames: [] })],
    ['zero sample rate', wavFile({ rate: 0, channels: 1, format: 1, bits: 16, frames: [[1]] })],
  ];
  for (const [name, buf] of cases) {
    t.throws(() => parseWav(buf), AudioFormatError, name);
    t.throws(() => parseWav(buf), { code: 'invalid_audio' }, name);
  }
});

t.test('resample: length and identity', async (t) => {
  t.equal(resample(new Float32Array(16000), 16000, 24000).length, 24000);
  t.equal(resample(new Float32Array(44100), 44100, 24000).length, 24000);
  t.equal(resample(new Float32Array(1001), 48000, 24000).length, 501);
  t.equal(resample(new Float32Array(0), 16000, 24000).length, 0);
  const x = sine(100, 24000, 100);
  const same = resample(x, 24000, 24000);
  t.not(same, x, 'a copy');
  t.same([...same], [...x]);
  t.throws(() => resample(x, 0, 24000), { code: 'invalid_audio' });
  t.throws(() => resample(x, 24000, Number.NaN), { code: 'invalid_audio' });
});

t.test('resample keeps a sine at its frequency and amplitude (16 kHz -> 24 kHz)', async (t) => {
  const up = resample(sine(1000, 16000, 16000), 16000, 24000);
  const mid = up.subarray(2000, 22000);
  const at1k = powerAt(mid, 1000, 24000);
  t.ok(Math.abs(Math.sqrt(at1k) * 2 - 0.5) < 0.02, `amplitude at 1 kHz ${Math.sqrt(at1k) * 2}`);
  for (const other of [500, 1500, 3000, 7000, 9000]) t.ok(powerAt(mid, other, 24000) < at1k * 1e-4, `no energy at ${other} Hz`);
});

t.test('resample removes content above the new Nyquist instead of aliasing it (48 kHz -> 24 kHz)', async (t) => {
  const mixed = sine(1000, 48000, 48000, 0.4);
  const high = sine(18000, 48000, 48000, 0.4);
  for (let i = 0; i < mixed.length; i++) mixed[i]! += high[i]!;
  const down = resample(mixed, 48000, 24000).subarray(1000, 23000);
  const kept = powerAt(down, 1000, 24000);
  t.ok(Math.abs(Math.sqrt(kept) * 2 - 0.4) < 0.02, 'the 1 kHz tone survives');
  // A naive decimation would fold 18 kHz down to 6 kHz at full strength.
  t.ok(powerAt(down, 6000, 24000) < kept * 1e-4, 'no alias at 6 kHz');
});

t.test('durationMs', async (t) => {
  t.equal(durationMs(24000, 24000), 1000);
  t.equal(durationMs(12, 24000), 0.5);
  t.equal(durationMs(0, 16000), 0);
});
