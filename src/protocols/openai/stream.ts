/**
 * One POST /v1/audio/speech response, streamed: the input is split into phrases, the
 * turn pipeline synthesizes them (bounded look-ahead, in order), and each chunk is
 * encoded and written as soon as it is delivered. Headers wait for the first audio, so
 * a request whose every chunk fails still gets a proper error status and body.
 *
 * Backpressure: when the response body buffer is full, the pipeline stops dispatching
 * until the client reads. A client that goes away cancels the turn and its queued work.
 */
import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { ErrorCode } from '../../errors.ts';
import { TurnPipeline, type ChunkAudio, type ChunkFailure, type TurnSummary } from '../../pipeline/turn-pipeline.ts';
import { joinSettings } from '../../pipeline/join-silence.ts';
import { atOutputRate, samplesToMs } from '../../gateway/turn/audio-out.ts';
import { chunkerFor } from '../../gateway/turn/chunking.ts';
import type { GatewayContext } from '../../gateway/context.ts';
import type { AudioEncoder } from './encoders/index.ts';
import type { Drainable } from '../../gateway/lifecycle.ts';
import type { SpeechParams } from './request.ts';

const BODY_HIGH_WATER = 256 * 1024;
/** Failures that mean "try again later" rather than "this input broke". */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['overloaded', 'unavailable', 'not_ready', 'shutting_down']);

export type FirstOutcome = { kind: 'audio' } | { kind: 'failed'; transient: boolean; failures: number } | { kind: 'aborted' };

export class SpeechStream implements Drainable {
  readonly body: Readable;
  /** Resolves with the first thing that decides the response: audio, total failure, or abort. */
  readonly first: Promise<FirstOutcome>;
  readonly #ctx: GatewayContext;
  readonly #params: SpeechParams;
  readonly #owner: string;
  readonly #log: FastifyBaseLogger;
  readonly #encoder: AudioEncoder;
  readonly #pipeline: TurnPipeline;
  readonly #startedAt = performance.now();
  #resolveFirst!: (outcome: FirstOutcome) => void;
  #firstAudioMs: number | null = null;
  #samples = 0;
  #chunks = 0;
  #failures: ErrorCode[] = [];
  #paused = false;
  #ended = false;
  #responseClosed = false;

  constructor(ctx: GatewayContext, params: SpeechParams, owner: string, encoder: AudioEncoder, log: FastifyBaseLogger) {
    this.#ctx = ctx;
    this.#params = params;
    this.#owner = owner;
    this.#encoder = encoder;
    this.#log = log;
    this.first = new Promise((resolve) => (this.#resolveFirst = resolve));
    this.body = new Readable({ highWaterMark: BODY_HIGH_WATER, read: () => this.#resume() });
    const config = ctx.config;
    this.#pipeline = new TurnPipeline(owner, {
      synth: ctx.synth,
      owner,
      voice: params.voice,
      speed: params.speed,
      maxInFlight: config.maxInFlightPerTurn,
      drainSafetyMs: config.drainSafetyMs,
      metrics: ctx.metrics,
      startedAt: this.#startedAt,
      join: joinSettings(config),
    });
    this.#pipeline.setDeliveryOpen(true);
    this.#pipeline.on('audio', (a: ChunkAudio) => this.#onAudio(a));
    this.#pipeline.on('error', (f: ChunkFailure) => this.#onFailure(f));
    this.#pipeline.on('all_failed', (s: TurnSummary) => this.#onEnd(s));
    this.#pipeline.on('done', (s: TurnSummary) => this.#onEnd(s));
  }

  /** Split the whole input and hand every phrase to the pipeline; it bounds what runs at once. */
  start(): void {
    const chunker = chunkerFor(this.#ctx, this.#params.speed);
    const chunks = [...chunker.push(this.#params.input), ...chunker.flush()];
    this.#chunks = chunks.length;
    this.#log.info({ chars: this.#params.input.length, chunks: chunks.length, voice: this.#params.voice, format: this.#params.format, speed: this.#params.speed }, 'speech started');
    for (const chunk of chunks) this.#pipeline.processChunk(chunk.text, chunk.index, this.#owner);
    this.#pipeline.finish().then(
      (summary) => this.#onEnd(summary),
      (err: unknown) => this.#fail(err),
    );
  }

  /** Busy until the response is closed: a drain must not cut the last bytes still in flight. */
  busy(): boolean {
    return !this.#responseClosed;
  }

  /** The HTTP response closed (finished, or the client went away). */
  responseClosed(): void {
    this.#responseClosed = true;
    if (!this.#ended) this.abort('client closed the connection');
    this.#ctx.lifecycle.delete(this);
  }

  beginShutdown(): void {
    // In-flight speech finishes within the grace period; nothing to refuse here.
  }

  async forceClose(): Promise<void> {
    this.abort('shutdown');
  }

  /** The client went away (or the host is stopping): drop queued and in-flight work. */
  abort(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#pipeline.cancel();
    this.#ctx.pool.cancelOwner(this.#owner);
    this.#encoder.close();
    this.#resolveFirst({ kind: 'aborted' });
    this.body.destroy();
    this.#ctx.metrics.httpSpeech.inc({ format: this.#params.format, outcome: 'aborted' });
    this.#log.info({ reason, deliveredMs: samplesToMs(this.#samples) }, 'speech aborted');
  }

  #onAudio(a: ChunkAudio): void {
    if (this.#ended) return;
    const pcm = atOutputRate(a.pcm, a.sampleRate);
    this.#samples += pcm.length;
    this.#firstAudioMs ??= Math.round(performance.now() - this.#startedAt);
    this.#log.debug({ index: a.index, samples: pcm.length, synthMs: Math.round(a.synthMs), queueMs: Math.round(a.queueMs), provider: a.provider }, 'speech chunk');
    this.#write(this.#encoder.encode(pcm));
    this.#resolveFirst({ kind: 'audio' });
  }

  #onFailure(f: ChunkFailure): void {
    if (this.#ended || f.error.code === 'cancelled') return;
    this.#failures.push(f.error.code);
    this.#log.warn({ index: f.index, code: f.error.code }, 'speech chunk skipped');
    if (this.#params.streamFormat === 'sse') {
      const code = f.error.code === 'tts_chunk_timeout' ? 'tts_chunk_timeout' : 'tts_chunk_failed';
      this.#event({ type: 'error', error: { message: `chunk ${f.index} failed and was skipped`, type: 'server_error', param: null, code, index: f.index } });
    }
  }

  #onEnd(summary: TurnSummary): void {
    if (this.#ended) return;
    this.#ended = true;
    const failed = this.#failures.length;
    if (this.#samples === 0) {
      this.#encoder.close();
      this.body.destroy();
      this.#ctx.metrics.httpSpeech.inc({ format: this.#params.format, outcome: 'failed' });
      const transient = failed > 0 && this.#failures.every((c) => TRANSIENT.has(c));
      this.#resolveFirst({ kind: 'failed', transient, failures: failed });
      return;
    }
    this.#write(this.#encoder.finish());
    if (this.#params.streamFormat === 'sse') {
      // Token counts are not measured by this host; the fields exist for OpenAI clients.
      this.#event({ type: 'speech.audio.done', usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } });
    }
    this.body.push(null);
    this.#ctx.metrics.httpSpeech.inc({ format: this.#params.format, outcome: failed > 0 ? 'partial' : 'ok' });
    this.#log.info({ chunks: this.#chunks || summary.chunks, failed, audioMs: samplesToMs(this.#samples), firstAudioMs: this.#firstAudioMs }, 'speech finished');
  }

  #fail(err: unknown): void {
    if (this.#ended) return;
    this.#log.error({ err }, 'speech pipeline failed');
    this.abort('internal');
  }

  #write(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const more = this.#params.streamFormat === 'sse' ? this.#event({ type: 'speech.audio.delta', audio: bytes.toString('base64') }) : this.body.push(bytes);
    if (!more && !this.#paused) {
      this.#paused = true;
      this.#pipeline.pauseDispatch();
    }
  }

  #event(data: object): boolean {
    return this.body.push(`data: ${JSON.stringify(data)}\n\n`);
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#pipeline.resumeDispatch();
  }
}
