/**
 * A streaming audio encoder: mono float PCM at the output rate in, container bytes out,
 * chunk by chunk, so the first bytes can leave before the whole text is synthesized.
 */

export interface AudioEncoder {
  /** The Content-Type of the stream. */
  readonly contentType: string;
  /** Encode the next samples; returns whatever bytes are ready (possibly none). */
  encode(pcm: Float32Array): Buffer;
  /** End of stream: returns the remaining bytes and releases the encoder. */
  finish(): Buffer;
  /** Release the encoder without finishing (client gone). Idempotent. */
  close(): void;
}

/** Float samples to signed 16-bit integers (clamped), in any integer array type. */
export function toInt16<T extends Int16Array | Int32Array>(pcm: Float32Array, out: T): T {
  for (let i = 0; i < pcm.length; i++) {
    const s = Math.max(-1, Math.min(1, pcm[i]!));
    out[i] = Math.round(s < 0 ? s * 0x8000 : s * 0x7fff);
  }
  return out;
}
