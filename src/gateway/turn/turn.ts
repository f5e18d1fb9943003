/**
 * One turn of a WebSocket session: its phrase chunker, its pipeline, and the frames it
 * owes the client, in order.
 *
 * Only the head turn (the oldest open one) writes to the socket. A later turn
 * synthesizes early, but its frames wait in its outbox until it becomes the head;
 * the pipeline's own delivery gate keeps that wait bounded to its look-ahead.
 *
 *   open --flush()--> flushed --pipeline done--> tts_done sent --> closed
 *     \________________cancel()_______________________________--> closed
 */
import type { FastifyBaseLogger } from 'fastify';
import type { PhraseChunker } from '../../pipeline/phrase-chunker.ts';
import { TurnPipeline, type ChunkAudio, type ChunkFailure } from '../../pipeline/turn-pipeline.ts';
import { joinSettings } from '../../pipeline/join-silence.ts';
import { floatToS16le } from '../../common/audio.ts';
import { atOutputRate, samplesToMs } from './audio-out.ts';
import { chunkerFor } from './chunking.ts';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from '../context.ts';
import type { WsFormat } from '../../protocols/native-ws/messages.ts';

export interface Settings {
  voice: string;
  speed: number;
  format: WsFormat;
}

/** Per-message voice/speed (`speak`); chunks without them follow the session defaults until dispatched. */
export type Overrides = { voice?: string; speed?: number };

export interface TurnSink {
  json(frame: object): void;
  audio(meta: object, payload: Buffer): void;
}

type Outgoing =
  | { kind: 'json'; frame: object }
  | { kind: 'audio'; index: number; samples: number; meta: object; payload: Buffer }
  | { kind: 'done' };

export type TurnState = 'open' | 'flushed' | 'closed';

function pcmPayload(pcm: Float32Array, format: WsFormat): Buffer {
  // f32le: the platform's float layout is little-endian on every target Node supports here (x64, arm64).
  return format === 'f32le' ? Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength) : floatToS16le(pcm);
}

export class Turn {
  readonly id: string;
  #state: TurnState = 'open';
  #head = false;
  #finished = false;
  #outbox: Outgoing[] = [];
  readonly #sink: TurnSink;
  readonly #log: FastifyBaseLogger;
  readonly #onClosed: (turn: Turn) => void;
  readonly #pipeline: TurnPipeline;
  readonly #chunker: PhraseChunker;
  readonly #formats = new Map<number, WsFormat>();
  readonly #startedAt = performance.now();
  #chars = 0;
  #submitted = 0;
  /** Chunks the pipeline has emitted (audio or error): every index below emitted + inFlight is dispatched. */
  #emitted = 0;
  #failed = 0;
  #lastSent = -1;
  #samples = 0;
  #firstAudioMs: number | null = null;

  constructor(id: string, ctx: GatewayContext, owner: string, settings: Settings, sink: TurnSink, log: FastifyBaseLogger, onClosed: (turn: Turn) => void) {
    this.id = id;
    this.#sink = sink;
    this.#log = log;
    this.#onClosed = onClosed;
    this.#chunker = chunkerFor(ctx, settings.speed);
    this.#pipeline = new TurnPipeline(id, {
      synth: ctx.synth,
      owner,
      voice: settings.voice,
      speed: settings.speed,
      maxInFlight: ctx.config.maxInFlightPerTurn,
      drainSafetyMs: ctx.config.drainSafetyMs,
      metrics: ctx.metrics,
      startedAt: this.#startedAt,
      join: joinSettings(ctx.config),
    });
    this.#pipeline.setDeliveryOpen(false);
    this.#pipeline.on('audio', (a: ChunkAudio) => this.#onAudio(a));
    this.#pipeline.on('error', (f: ChunkFailure) => this.#onFailure(f));
    this.#pipeline.on('all_failed', () => this.#onFinished());
    this.#pipeline.on('done', () => this.#onFinished());
  }

  get state(): TurnState {
    return this.#state;
  }

  get chars(): number {
    return this.#chars;
  }

  get lastSentIndex(): number {
    return this.#lastSent;
  }

  /** Text for this turn; every complete phrase is dispatched at once. */
  append(text: string, format: WsFormat, overrides?: Overrides): void {
    this.#chars += text.length;
    for (const chunk of this.#chunker.push(text)) this.#submit(chunk.text, chunk.index, format, overrides);
  }

  /** No more text: the buffered rest becomes the last chunk; tts_done follows when all are settled. */
  flush(format: WsFormat, overrides?: Overrides): void {
    if (this.#state !== 'open') return;
    for (const chunk of this.#chunker.flush()) this.#submit(chunk.text, chunk.index, format, overrides);
    this.#state = 'flushed';
    this.#pipeline.finish().catch((err: unknown) => this.#log.error({ err, turnId: this.id }, 'turn pipeline failed'));
  }

  /** Barge-in: drop everything of this turn; returns the last index whose audio was sent. */
  cancel(): number {
    if (this.#state !== 'closed') {
      this.#state = 'closed';
      this.#outbox = [];
      this.#pipeline.cancel();
    }
    return this.#lastSent;
  }

  /** This turn is now the oldest open one: its audio may go out. */
  becomeHead(): void {
    if (this.#head || this.#state === 'closed') return;
    this.#head = true;
    this.#pipeline.setDeliveryOpen(true);
    const pending = this.#outbox;
    this.#outbox = [];
    for (const out of pending) this.#deliver(out);
  }

  /** ws-v1 `config`: new defaults for the chunks of this turn not yet dispatched. */
  applyDefaults(settings: Settings): void {
    if (this.#state === 'closed') return;
    this.#pipeline.setDefaults({ voice: settings.voice, speed: settings.speed });
    const dispatched = this.#emitted + this.#pipeline.inFlight;
    for (const index of this.#formats.keys()) if (index >= dispatched) this.#formats.set(index, settings.format);
  }

  pauseDispatch(): void {
    this.#pipeline.pauseDispatch();
  }

  resumeDispatch(): void {
    this.#pipeline.resumeDispatch();
  }

  #submit(text: string, index: number, format: WsFormat, overrides?: Overrides): void {
    this.#submitted++;
    this.#formats.set(index, format);
    this.#log.debug({ turnId: this.id, index, chars: text.length }, 'chunk queued');
    this.#pipeline.processChunk(text, index, this.id, overrides);
  }

  #onAudio(a: ChunkAudio): void {
    this.#emitted++;
    if (this.#state === 'closed') return;
    const pcm = atOutputRate(a.pcm, a.sampleRate);
    const format = this.#formats.get(a.index) ?? 'pcm_s16le';
    this.#formats.delete(a.index);
    const meta = {
      type: 'tts_meta',
      turn_id: this.id,
      index: a.index,
      text: a.text,
      samples: pcm.length,
      sample_rate: OUTPUT_SAMPLE_RATE,
      format,
      synth_ms: Math.round(a.synthMs),
      queue_ms: Math.round(a.queueMs),
    };
    this.#log.debug({ turnId: this.id, index: a.index, samples: pcm.length, synthMs: meta.synth_ms, queueMs: meta.queue_ms, provider: a.provider }, 'chunk synthesized');
    this.#emit({ kind: 'audio', index: a.index, samples: pcm.length, meta, payload: pcmPayload(pcm, format) });
  }

  #onFailure(f: ChunkFailure): void {
    this.#emitted++;
    if (this.#state === 'closed' || f.error.code === 'cancelled') return;
    this.#failed++;
    this.#formats.delete(f.index);
    const code = f.error.code === 'tts_chunk_timeout' ? 'tts_chunk_timeout' : 'tts_chunk_failed';
    this.#log.warn({ turnId: this.id, index: f.index, code: f.error.code }, 'chunk skipped');
    const message = f.error.code === 'overloaded' ? 'the host was overloaded; the chunk was skipped' : `chunk ${f.index} failed and was skipped`;
    this.#emit({ kind: 'json', frame: { type: 'error', code, message, recoverable: true, turn_id: this.id, index: f.index } });
  }

  #onFinished(): void {
    if (this.#finished || this.#state === 'closed') return;
    this.#finished = true;
    if (this.#submitted > 0 && this.#failed === this.#submitted) {
      this.#emit({ kind: 'json', frame: { type: 'error', code: 'tts_all_failed', message: 'every chunk of the turn failed', recoverable: true, turn_id: this.id } });
    }
    this.#emit({ kind: 'done' });
  }

  #emit(out: Outgoing): void {
    if (this.#head) this.#deliver(out);
    else this.#outbox.push(out);
  }

  #deliver(out: Outgoing): void {
    if (this.#state === 'closed') return;
    switch (out.kind) {
      case 'json':
        this.#sink.json(out.frame);
        return;
      case 'audio':
        this.#firstAudioMs ??= Math.round(performance.now() - this.#startedAt);
        this.#lastSent = out.index;
        this.#samples += out.samples;
        this.#sink.audio(out.meta, out.payload);
        return;
      case 'done':
        this.#state = 'closed';
        this.#sink.json({
          type: 'tts_done',
          turn_id: this.id,
          chunks: this.#submitted,
          failed: this.#failed,
          audio_ms: samplesToMs(this.#samples),
          first_audio_ms: this.#firstAudioMs,
        });
        this.#onClosed(this);
        return;
    }
  }
}
