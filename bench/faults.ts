/**
 * Part 5, faults: the host with KOKORO_FAULT_INJECTION=1 and a short run deadline.
 *
 *   respawn_ms         a [[crash]] chunk kills its worker: from the host's 'chunk attempt
 *                      failed' log line to the replacement's 'worker loaded model' line
 *                      (host timestamps on both ends; loadMs of that line reported too)
 *   stall_recovery_ms  a [[stall:20000]] chunk blocks inside onnxruntime: from sending it
 *                      to the first audio of the next turn on the same connection, which
 *                      the protocol holds back until the stalled turn ends
 *
 * The crash goes first: the stall leaves a thread burning a core for 20 s (a zombie
 * that terminate() cannot stop), which would distort anything measured after it.
 */
import type { LogLine } from '../harness/child.ts';
import { Host, type HostTarget } from './lib/host.ts';
import { Prober, type ProbeSummary } from './lib/http-client.ts';
import { progress } from './lib/progress.ts';
import { round } from './lib/stats.ts';
import { WsConn, type TurnResult } from './lib/ws-client.ts';

/** Short, so the stall is cut off quickly; a real model's healthy chunk must still fit (runFaults). */
export const RUN_DEADLINE_MS = 2000;
/** On a real model a healthy sentence takes 1-3 s on one thread: a 2 s deadline would cut it. */
const REAL_MODEL_RUN_DEADLINE_MS = 10_000;
const STALL_MS = 20_000;

export interface FaultsResult {
  respawn_ms: number;
  respawn_load_ms: number;
  crash_turn: { outcome: string; errors: string[] };
  stall_recovery_ms: number;
  stall_turn: { outcome: string; errors: string[]; end_ms: number };
  after_stall_turn: { outcome: string; frames: number };
  probe_ms: ProbeSummary;
  config: Record<string, string>;
}

export interface FaultsOptions {
  target: HostTarget;
  boundMs: number;
  /** The model is a real Kokoro model (slow chunks), not the synthetic one. */
  realModel?: boolean;
}

const brief = (r: TurnResult) => ({ outcome: r.outcome, errors: r.errors.map((e) => e.code) });

/**
 * The next 'chunk attempt failed' line and the first 'worker loaded model' line after it.
 * One listener sees both, in order: two lines can arrive in one stdout read.
 */
function failureThenLoad(host: Host, boundMs: number): Promise<{ failed: LogLine; loaded: LogLine }> {
  return new Promise((resolve, reject) => {
    let failed: LogLine | undefined;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no worker failure and replacement load within ${boundMs} ms`));
    }, boundMs);
    const off = host.child.onLine((line) => {
      if (failed === undefined) {
        if (line.msg === 'chunk attempt failed') failed = line;
      } else if (line.msg === 'worker loaded model') {
        off();
        clearTimeout(timer);
        resolve({ failed, loaded: line });
      }
    });
    void host.child.exited.then(() => {
      off();
      clearTimeout(timer);
      reject(new Error(`the host exited during the crash test; stderr: ${host.child.stderrTail()}`));
    });
  });
}

export async function runFaults(opts: FaultsOptions): Promise<FaultsResult> {
  const deadlineMs = opts.realModel === true ? REAL_MODEL_RUN_DEADLINE_MS : RUN_DEADLINE_MS;
  const config = {
    KOKORO_FAULT_INJECTION: '1',
    KOKORO_RUN_TIMEOUT_BASE_MS: String(deadlineMs),
    KOKORO_RUN_TIMEOUT_PER_TOKEN_MS: '0',
    KOKORO_RUN_TIMEOUT_MAX_MS: String(deadlineMs),
    // One try per chunk: a retry of a marked chunk would hit the same fault again.
    KOKORO_CHUNK_RETRIES: '0',
    KOKORO_ZOMBIE_GRACE_MS: String(STALL_MS * 2),
  };
  progress(`faults: starting the host with fault injection (run deadline ${deadlineMs} ms, no retries)`);
  const host = await Host.start({ ...opts.target, env: config });
  const prober = new Prober(`${host.base}/healthz`);
  let conn: WsConn | undefined;
  try {
    conn = await WsConn.open(host.wsUrl);
    prober.start();

    progress('faults: [[crash]] -> worker respawn');
    const respawn = failureThenLoad(host, opts.boundMs);
    const crash = await conn.speak('crash', '[[crash]] This chunk takes its worker down.');
    const { failed, loaded } = await respawn;
    if (failed.reason !== 'crash') throw new Error(`the [[crash]] chunk failed for another reason: ${String(failed.reason)}`);
    const respawnMs = Number(loaded.time) - Number(failed.time);
    progress(`faults: respawn ${respawnMs} ms (model load ${String(loaded.loadMs)} ms)`);

    progress(`faults: [[stall:${STALL_MS}]] -> recovery on the same connection`);
    const sentAt = performance.now();
    let firstAudioAfter = NaN;
    const stalled = conn.speak('stall', `[[stall:${STALL_MS}]] This chunk stalls in native code.`);
    const after = conn.speak('after-stall', 'This turn comes right after the stall.', () => {
      if (Number.isNaN(firstAudioAfter)) firstAudioAfter = performance.now();
    });
    let boundTimer: NodeJS.Timeout | undefined;
    const bound = new Promise<'bound'>((r) => (boundTimer = setTimeout(() => r('bound'), opts.boundMs)));
    const settled = await Promise.race([Promise.all([stalled, after]), bound]);
    clearTimeout(boundTimer);
    if (settled === 'bound') throw new Error(`the stalled turn and the next one did not end within ${opts.boundMs} ms`);
    const [stallTurn, afterTurn] = settled;
    // Anything but a run-deadline timeout means the stall never happened (no stall model?):
    // the figure would time something else.
    if (!stallTurn.errors.some((e) => e.code === 'tts_chunk_timeout')) {
      throw new Error(`the stalled chunk did not time out (turn ${stallTurn.outcome}, errors: ${stallTurn.errors.map((e) => e.code).join(',') || 'none'}); does models/synthetic/kokoro-stall.onnx exist?`);
    }
    const recovery = firstAudioAfter - sentAt;
    progress(`faults: stall recovery ${round(recovery, 0)} ms (stalled turn: ${stallTurn.outcome} ${stallTurn.errors.map((e) => e.code).join(',')})`);
    return {
      respawn_ms: respawnMs,
      respawn_load_ms: Number(loaded.loadMs),
      crash_turn: brief(crash),
      stall_recovery_ms: round(recovery, 0),
      stall_turn: { ...brief(stallTurn), end_ms: round(stallTurn.endMs, 0) },
      after_stall_turn: { outcome: afterTurn.outcome, frames: afterTurn.frames },
      probe_ms: await prober.stop(),
      config,
    };
  } finally {
    await prober.stop();
    await conn?.close();
    // The stalled thread cannot be stopped from JavaScript: do not wait out a long drain.
    await host.stop(3000);
  }
}
