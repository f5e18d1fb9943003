/**
 * FLAC (16-bit mono) with libFLAC compiled to JS (libflacjs). The stream is written
 * once, front to back: STREAMINFO cannot be patched afterwards, so it declares the
 * total sample count as unknown (0), which the format allows for streams.
 *
 * The asm.js build is used: the wasm build of libflacjs 5.6 tries to fetch() its
 * .wasm file by path on Node 20 and fails.
 */
import { createRequire } from 'node:module';
import type LibFlac from 'libflacjs';
import { toInt16, type AudioEncoder } from './types.ts';

type Flac = LibFlac.Flac;

const COMPRESSION = 1;
let library: Promise<Flac> | undefined;

/** libFLAC, loaded once per process; its asm.js heap initialises asynchronously. */
export function loadFlac(): Promise<Flac> {
  library ??= new Promise<Flac>((resolve) => {
    const flac = createRequire(import.meta.url)('libflacjs/dist/libflac.js') as Flac;
    if (flac.isReady()) resolve(flac);
    else flac.on('ready', () => resolve(flac));
  });
  return library;
}

export async function createFlacEncoder(sampleRate: number): Promise<AudioEncoder> {
  const flac = await loadFlac();
  let encoder: number | null = flac.create_libflac_encoder(sampleRate, 1, 16, COMPRESSION, 0, false);
  if (encoder === 0) throw new Error('libFLAC could not create an encoder');
  let written: Buffer[] = [];
  const status = flac.init_encoder_stream(encoder, (data: Uint8Array) => {
    written.push(Buffer.from(data));
  });
  if (status !== 0) {
    flac.FLAC__stream_encoder_delete(encoder);
    throw new Error(`libFLAC encoder init failed (status ${status})`);
  }
  const take = (): Buffer => {
    const out = Buffer.concat(written);
    written = [];
    return out;
  };
  const release = () => {
    if (encoder === null) return;
    flac.FLAC__stream_encoder_delete(encoder);
    encoder = null;
  };
  return {
    contentType: 'audio/flac',
    encode(pcm) {
      if (encoder === null || pcm.length === 0) return take();
      flac.FLAC__stream_encoder_process_interleaved(encoder, toInt16(pcm, new Int32Array(pcm.length)), pcm.length);
      return take();
    },
    finish() {
      if (encoder === null) return Buffer.alloc(0);
      flac.FLAC__stream_encoder_finish(encoder);
      release();
      return take();
    },
    close: release,
  };
}
