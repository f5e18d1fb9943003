/**
 * A fake SynthPoolHandle for fast gateway tests. synthesize() returns PCM derived only
 * from (text, voice, speed), so the same phrase always gives the same samples. Delays,
 * failures and holds ("block this chunk until I say so") are scriptable; `inFlight`
 * counts calls not yet settled, and 'idle' fires when it returns to 0; 'cancel_owner'
 * fires on cancelOwner(owner).
 */
import { EventEmitter } from 'node:events';
import { TtsError } from '../../src/errors.ts';
import type { CostCurve } from '../../src/synth/cost-model.ts';
import type { PoolHealth, SynthPoolHandle } from '../../src/synth/pool-types.ts';
import type { SynthesizeRequest, SynthesizedAudio } from '../../src/synth/types.ts';
import type { WordTiming } from '../../src/shared/word-timing.ts';

export interface FakePoolOptions {
  /** Samples per character of text at speed 1 (default 240: 10 ms a character at 24 kHz). */
  samplesPerChar?: number;
  sampleRate?: number;
  /** Delay before a call resolves (default: next macrotask). */
  delayMs?: number | ((req: SynthesizeRequest) => number);
  /** A failure for this call, or undefined to succeed. */
  fail?: (req: SynthesizeRequest) => TtsError | undefined;
  /** The cost curve the pool reports (src/synth/cost-model.ts); default none, so turns use the fixed schedule. */
  curve?: CostCurve;
  /** Time words (fakeWords): the pool says it can, and every result carries them. */
  words?: boolean;
}

/** The fake's word times: each whitespace-separated run of the text, placed by its characters. */
export function fakeWords(text: string, speed: number, samplesPerChar = 240, sampleRate = 24000): WordTiming[] {
  const msPerChar = (samplesPerChar * 1000) / speed / sampleRate;
  return [...text.matchAll(/\S+/g)].map((m) => ({
    word: m[0],
    charStart: m.index,
    charEnd: m.index + m[0].length,
    startMs: m.index * msPerChar,
    endMs: (m.index + m[0].length) * msPerChar,
  }));
}

interface Hold {
  match: (req: SynthesizeRequest) => boolean;
  waiting: Array<() => void>;
  released: boolean;
  arrive: () => void;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The fake's audio for a phrase: a tone whose pitch and envelope depend on the inputs. */
export function fakePcm(text: string, voice: string, speed: number, samplesPerChar = 240, sampleRate = 24000): Float32Array {
  const n = Math.max(1, Math.round((text.length * samplesPerChar) / speed));
  const h = fnv1a(`${voice}|${speed}|${text}`);
  const freq = 150 + (h % 500);
  const amp = 0.2 + ((h >>> 9) % 60) / 100;
  const pcm = new Float32Array(n);
  for (let i = 0; i < n; i++) pcm[i] = amp * Math.sin((2 * Math.PI * freq * i) / sampleRate);
  return pcm;
}

export class FakePool extends EventEmitter implements SynthPoolHandle {
  readonly calls: SynthesizeRequest[] = [];
  readonly cancelledOwners: string[] = [];
  options: FakePoolOptions;
  inFlight = 0;
  closed = false;
  #holds: Hold[] = [];
  #health: Partial<PoolHealth> = {};
  #pending = new Map<SynthesizeRequest, (err: TtsError) => void>();

  constructor(options: FakePoolOptions = {}) {
    super();
    this.options = options;
  }

  async start(): Promise<void> {}

  get timesWords(): boolean {
    return this.options.words === true;
  }

  costCurve(): CostCurve | null {
    return this.options.curve ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  setHealth(patch: Partial<PoolHealth>): void {
    this.#health = { ...this.#health, ...patch };
  }

  health(): PoolHealth {
    const reasons = this.#health.reasons ?? [];
    return {
      ready: reasons.length === 0,
      reasons,
      plan: { vcpus: 2, workers: 1, threadsPerWorker: 1, source: 'override' },
      liveWorkers: 1,
      loadedWorkers: 1,
      busyWorkers: Math.min(1, this.inFlight),
      utilization: 0,
      queueDepth: Math.max(0, this.inFlight - 1),
      inFlight: this.inFlight,
      zombies: [],
      respawns: 0,
      lastCanary: null,
      ...this.#health,
    };
  }

  /** Calls matching `match` wait until release(); `reached` resolves when the first one arrives. */
  hold(match: (req: SynthesizeRequest) => boolean): { reached: Promise<void>; release(): void } {
    let arrive!: () => void;
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const hold: Hold = { match, waiting: [], released: false, arrive };
    this.#holds.push(hold);
    return {
      reached,
      release: () => {
        hold.released = true;
        this.#holds = this.#holds.filter((h) => h !== hold);
        for (const go of hold.waiting.splice(0)) go();
      },
    };
  }

  /** Resolves when no call is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', resolve));
  }

  cancelOwner(owner: string): number {
    this.cancelledOwners.push(owner);
    this.emit('cancel_owner', owner);
    let dropped = 0;
    for (const [req, reject] of this.#pending) {
      if (req.owner !== owner) continue;
      reject(new TtsError('cancelled', 'cancelled while queued'));
      dropped++;
    }
    return dropped;
  }

  synthesize(req: SynthesizeRequest): Promise<SynthesizedAudio> {
    this.calls.push(req);
    if (req.signal?.aborted === true) return Promise.reject(new TtsError('cancelled', 'cancelled before queueing'));
    this.inFlight++;
    return new Promise<SynthesizedAudio>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const settle = (err: TtsError | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(req);
        if (err !== null) reject(err);
        else resolve(this.#audio(req));
        if (--this.inFlight === 0) this.emit('idle');
      };
      const onAbort = () => settle(new TtsError('cancelled', 'cancelled by the caller'));
      req.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(req, (err) => settle(err));
      const run = () => {
        if (done) return;
        const delay = typeof this.options.delayMs === 'function' ? this.options.delayMs(req) : (this.options.delayMs ?? 0);
        timer = setTimeout(() => settle(this.options.fail?.(req) ?? null), delay);
      };
      const hold = this.#holds.find((h) => !h.released && h.match(req));
      if (hold === undefined) run();
      else {
        hold.arrive();
        hold.waiting.push(run);
      }
    });
  }

  #audio(req: SynthesizeRequest): SynthesizedAudio {
    const sampleRate = this.options.sampleRate ?? 24000;
    return {
      pcm: fakePcm(req.text, req.voice, req.speed, this.options.samplesPerChar, sampleRate),
      sampleRate,
      queueMs: 0,
      synthMs: 1,
      provider: 'local',
      ...(this.options.words === true ? { words: fakeWords(req.text, req.speed, this.options.samplesPerChar, sampleRate) } : {}),
    };
  }
}
