/**
 * Ogg Opus (RFC 7845) with libopus compiled to wasm (opusscript): 20 ms frames at 24 kHz,
 * one Ogg page per encode() call so every synthesized chunk leaves at once.
 *
 * Granule positions count 48 kHz samples, whatever the input rate. The encoder delays
 * its output by its lookahead; that many samples are declared as pre-skip and fed as
 * silence at the end, and the last page's granule trims the padding exactly.
 */
import { randomInt } from 'node:crypto';
import OpusScript from 'opusscript';
import { FLAG_BOS, FLAG_EOS, OggWriter } from './ogg.ts';
import { toInt16, type AudioEncoder } from './types.ts';

const FRAME_MS = 20;
const BITRATE = 32_000;
/** libopus's lookahead (2.5 ms + 4 ms delay compensation) in 48 kHz samples. opusscript cannot query it. */
export const PRE_SKIP_48K = 312;

function opusHead(inputRate: number): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'ascii');
  head.writeUInt8(1, 8); // version
  head.writeUInt8(1, 9); // channels
  head.writeUInt16LE(PRE_SKIP_48K, 10);
  head.writeUInt32LE(inputRate, 12);
  head.writeInt16LE(0, 16); // output gain
  head.writeUInt8(0, 18); // channel mapping family: mono/stereo
  return head;
}

function opusTags(): Buffer {
  const vendor = Buffer.from('kokoro-host (libopus via opusscript)');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'ascii');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  tags.writeUInt32LE(0, 12 + vendor.length);
  return tags;
}

export function createOpusEncoder(sampleRate: 8000 | 12000 | 16000 | 24000 | 48000, bitrate: number = BITRATE): AudioEncoder {
  let opus: OpusScript | null = new OpusScript(sampleRate, 1, OpusScript.Application.AUDIO);
  // libopus takes at most 512 kbps; asking for more (Deepgram allows 650 kbps) gets its maximum.
  opus.setBitrate(Math.min(bitrate, 512_000));
  const frame = (sampleRate * FRAME_MS) / 1000;
  const per48k = 48000 / sampleRate;
  const ogg = new OggWriter(randomInt(0, 2 ** 32));
  let pending = new Int16Array(0);
  let packetsOut = 0;
  let inputSamples = 0;
  let headersSent = false;

  const headers = (): Buffer[] => {
    if (headersSent) return [];
    headersSent = true;
    return [ogg.page([opusHead(sampleRate)], 0n, FLAG_BOS), ogg.page([opusTags()], 0n, 0)];
  };

  const encodeFrames = (samples: Int16Array, final: boolean): Buffer => {
    if (opus === null) return Buffer.alloc(0);
    const all = new Int16Array(pending.length + samples.length);
    all.set(pending);
    all.set(samples, pending.length);
    const whole = Math.floor(all.length / frame) * frame;
    const packets: Uint8Array[] = [];
    for (let at = 0; at < whole; at += frame) {
      const slice = all.subarray(at, at + frame);
      packets.push(Buffer.from(opus.encode(Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength), frame)));
    }
    pending = all.slice(whole);
    const first = packetsOut;
    packetsOut += packets.length;
    const granule = (i: number): bigint => {
      const decoded = BigInt((first + i + 1) * frame * per48k);
      // End trimming: the last page says how many samples are real (RFC 7845, section 4.4).
      return final && i === packets.length - 1 ? BigInt(PRE_SKIP_48K + inputSamples * per48k) : decoded;
    };
    return Buffer.concat([...headers(), ...ogg.pages(packets, granule, final ? FLAG_EOS : 0)]);
  };

  const release = () => {
    opus?.delete();
    opus = null;
  };

  return {
    contentType: 'audio/opus',
    encode(pcm) {
      inputSamples += pcm.length;
      return encodeFrames(toInt16(pcm, new Int16Array(pcm.length)), false);
    },
    finish() {
      if (opus === null) return Buffer.alloc(0);
      // Flush the lookahead with silence, then pad to a whole frame.
      const flush = Math.ceil(PRE_SKIP_48K / per48k);
      const padded = Math.ceil((pending.length + flush) / frame) * frame - pending.length;
      const tail = encodeFrames(new Int16Array(padded), true);
      release();
      return tail;
    },
    close: release,
  };
}
