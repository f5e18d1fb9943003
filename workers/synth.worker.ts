/**
 * The Piscina worker: loads and warms the model once, then turns SynthRequests into
 * PCM. Expected failures return as data ({ ok: false, code }); only faults crash. It carries
 * no test hooks: with KOKORO_FAULT_INJECTION=1 the pool runs workers/synth.faults.worker.ts,
 * which wraps this module.
 *
 * Life cycle, as the main thread sees it on the pool's 'message' event:
 *   module evaluated -> 'loaded' (model ready and warm; which onnxruntime) or 'load_failed' (reason)
 *   each task        -> 'started' (the run deadline is armed from here, never from enqueue)
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { measureSilence } from '../src/shared/silence.ts';
import { Piscina } from 'piscina';
import type { CalibrationRun, SynthRequest, SynthResult, WorkerEvent, WorkerInit } from '../src/shared/protocol.ts';
import { claimSlot, enterNative, leaveNative } from '../src/shared/native-slots.ts';
import { LANGUAGES } from '../src/shared/languages.ts';
import { parseVoice } from '../src/shared/voices.ts';
import { openSession, type KokoroSession } from './kokoro/session.ts';
import { KokoroSynthesizer, SynthesisRefused } from './kokoro/synthesizer.ts';
import { SAMPLE_RATE } from './kokoro/tokenizer.ts';
import { PROJECT_ROOT } from '../src/runtime/paths.ts';
import { join } from 'node:path';
import { silenceOf, speak } from './pronounce.ts';

/**
 * Timed once per process for the host's cost model: a short and a medium sentence give the
 * curve's intercept (every chunk's ~0.8 s of generated silence) and its slope.
 */
const CALIBRATION_TEXTS = ['Hello there.', 'It was a bright cold day in April, and the clocks were striking thirteen.'];

const init = workerData as WorkerInit;
const post = (event: WorkerEvent) => parentPort?.postMessage(event);
const slots = init.nativeSlots === undefined ? null : new Int32Array(init.nativeSlots);
const slot = slots === null ? -1 : claimSlot(slots);
/** Marks this thread "inside native code" around each session run (src/shared/native-slots.ts). */
export const guard = slots === null ? undefined : { enter: () => enterNative(slots, slot), leave: () => leaveNative(slots, slot) };

let synthesizer: KokoroSynthesizer | undefined;
let mainSession: KokoroSession | undefined;
let loadError: string | undefined;

try {
  const t0 = performance.now();
  const runtime = init.ort;
  const durationsCacheDir = init.wordTiming === false ? undefined : (init.modelCacheDir ?? join(PROJECT_ROOT, '.cache', 'models'));
  const session = await openSession(init.modelPath, { intraOpThreads: init.intraOpThreads, enableCpuMemArena: init.enableCpuMemArena, runtime, durationsCacheDir }, guard);
  mainSession = session;
  synthesizer = new KokoroSynthesizer(session);
  await synthesizer.synthesize({ text: 'Ready.' }, [{ id: 'af_heart', weight: 1 }], 1);
  const calibration = init.calibration !== undefined && Atomics.compareExchange(new Int32Array(init.calibration), 0, 0, 1) === 0 ? await calibrate(synthesizer) : undefined;
  post({ type: 'loaded', threadId, slot, loadMs: performance.now() - t0, inputNames: [...session.inputNames], outputNames: [...session.outputNames], runtime: session.runtime, timing: session.timing, ...(calibration !== undefined ? { calibration } : {}) });
} catch (err) {
  // Not rethrown: a module that throws trips Piscina's bootstrap latch and the pool stops
  // refilling for good. The main thread sees this event and replaces us with backoff.
  loadError = err instanceof Error ? err.message : String(err);
  post({ type: 'load_failed', threadId, slot, code: 'model_load_failed', message: loadError });
}

async function calibrate(synth: KokoroSynthesizer): Promise<CalibrationRun[]> {
  const runs: CalibrationRun[] = [];
  for (const text of CALIBRATION_TEXTS) {
    const out = await synth.synthesize({ text }, [{ id: 'af_heart', weight: 1 }], 1);
    const silence = measureSilence(out.pcm, init.silenceThresholdDbfs);
    runs.push({ text, computeMs: out.phonemizeMs + out.inferenceMs, samples: out.pcm.length, silentSamples: silence.lead + silence.trail, sampleRate: SAMPLE_RATE });
  }
  return runs;
}

export function fail(code: Extract<SynthResult, { ok: false }>['code'], message: string, tokens?: number): SynthResult {
  return tokens === undefined ? { ok: false, code, message } : { ok: false, code, message, tokens };
}

/** Transfer, never copy, the PCM across the thread line (Piscina's Transferable protocol). */
function transferred(result: SynthResult, pcm: Float32Array): SynthResult {
  const movable = { [Piscina.transferableSymbol]: pcm.buffer, [Piscina.valueSymbol]: result };
  return Piscina.move(movable as never) as unknown as SynthResult;
}

/** The loaded model's session, for the fault-injecting test entry (workers/synth.faults.worker.ts). */
export const loadedSession = (): KokoroSession | undefined => mainSession;

/** Tells the main thread a task began: its run deadline is armed from here, never from enqueue. */
export function announceStarted(taskId: number): void {
  post({ type: 'started', threadId, slot, taskId });
}

/** Piscina's entry point. */
export default async function synthesize(req: SynthRequest): Promise<SynthResult> {
  announceStarted(req.taskId);
  return runTask(req);
}

/** One task, once announced: validate, synthesize, transfer the PCM back. */
export async function runTask(req: SynthRequest): Promise<SynthResult> {
  if (synthesizer === undefined) return fail('not_loaded', `model not loaded: ${loadError ?? 'unknown reason'}`);
  const voice = parseVoice(req.voice);
  if (!voice.ok) return fail('invalid_voice', voice.message);
  if (!Number.isFinite(req.speed) || req.speed < 0.25 || req.speed > 4) return fail('invalid_speed', 'speed must be between 0.25 and 4');
  if (req.lang !== undefined && !(LANGUAGES as readonly string[]).includes(req.lang)) return fail('invalid_lang', `unknown lang "${String(req.lang)}"`);

  const text = req.text;
  if (req.phonemes === undefined && (text === undefined || text.trim() === '')) return fail('empty_text', 'the text is empty');

  try {
    const input = req.phonemes !== undefined ? { phonemes: req.phonemes } : { text: text!, words: req.words === true };
    const out = await speak(synthesizer, input, voice.components, req.speed, req.lang);
    const result: SynthResult = {
      ok: true,
      pcm: out.pcm,
      sampleRate: SAMPLE_RATE,
      samples: out.pcm.length,
      tokens: out.tokens,
      phonemes: out.phonemes,
      timings: { phonemizeMs: out.phonemizeMs, inferenceMs: out.inferenceMs },
      silence: silenceOf(out, init.silenceThresholdDbfs),
      ...(out.words !== undefined ? { words: out.words } : {}),
    };
    return transferred(result, out.pcm);
  } catch (err) {
    if (err instanceof SynthesisRefused) return fail(err.code, err.message, err.tokens);
    return fail('inference_error', err instanceof Error ? err.message : String(err));
  }
}
