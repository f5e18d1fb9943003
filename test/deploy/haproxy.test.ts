/**
 * Three hosts behind HAProxy on loopback, running the shipped deploy/compose/haproxy.cfg
 * (checks on /readyz, WebSocket pass-through, retries elsewhere on a refused connection
 * or a 503), under a bounded mixed WebSocket + HTTP load:
 *
 * 1. a native stall (fault injection) turns h1 not-ready: it gets no new sessions while
 *    HAProxy holds it DOWN, and gets them again once it is UP;
 * 2. SIGTERM of h2 (a rolling restart): no turn fails, its open session finishes, HAProxy
 *    takes it out while it still serves that session, and it is started again;
 * 3. SIGKILL of h3: the turns it was serving fail with a connection error, no other turn
 *    fails, and new turns are served by h1 and h2 at once (HAProxy retries elsewhere).
 *
 * Every wait derives from the check settings below and the hosts' own deadlines.
 * Needs Debian's haproxy (.ci/run installs it); without it this FAILS unless
 * KOKORO_ALLOW_MISSING_TOOLS=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runDeadlineMs } from '../../src/synth/pool.ts';
import { ALLOW_MISSING_TOOLS, freePort, HostProcess } from '../../harness/host-process.ts';
import { Haproxy, haproxyBinary, type CheckSettings } from '../../harness/haproxy-process.ts';
import { LoadRun, Session, type TurnRecord } from '../helpers/lb-load.ts';

const binary = haproxyBinary();
if (binary === undefined) {
  if (ALLOW_MISSING_TOOLS) t.test('three hosts behind HAProxy', { skip: 'haproxy is not installed (KOKORO_ALLOW_MISSING_TOOLS=1)' }, () => undefined);
  else t.fail('haproxy is not installed: apt-get install -y haproxy (.ci/run does), or set KOKORO_ALLOW_MISSING_TOOLS=1 to skip');
} else {
  await run(binary);
}

async function run(binary: string): Promise<void> {
  const CHECK: CheckSettings = { interMs: 300, fall: 2, rise: 2, timeoutMs: 2000 };
  /** Timer firing, scheduling and frame delivery on a busy 2-vCPU runner, beyond every bound. */
  const SLACK_MS = 5000;
  /** From a host turning unready (or dying) to HAProxy's DOWN: `fall` checks, each at most an interval plus its timeout. */
  const DOWN_WITHIN_MS = CHECK.fall * (CHECK.interMs + CHECK.timeoutMs) + SLACK_MS;
  const UP_WITHIN_MS = CHECK.rise * (CHECK.interMs + CHECK.timeoutMs) + SLACK_MS;
  const RUN_BASE_MS = 3000;
  const RUN_PER_TOKEN_MS = 20;
  const RUN_MAX_MS = 6000;
  const ZOMBIE_GRACE_MS = 500;
  const SHUTDOWN_GRACE_MS = 30_000;
  const TURN_TIMEOUT_MS = 30_000;
  const deadlineOf = (text: string) => runDeadlineMs({ runTimeoutBaseMs: RUN_BASE_MS, runTimeoutPerTokenMs: RUN_PER_TOKEN_MS, runTimeoutMaxMs: RUN_MAX_MS }, text);

  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const hostEnv = (port: number) => ({
    PORT: String(port),
    KOKORO_RUN_TIMEOUT_BASE_MS: String(RUN_BASE_MS),
    KOKORO_RUN_TIMEOUT_PER_TOKEN_MS: String(RUN_PER_TOKEN_MS),
    KOKORO_RUN_TIMEOUT_MAX_MS: String(RUN_MAX_MS),
    KOKORO_ZOMBIE_GRACE_MS: String(ZOMBIE_GRACE_MS),
    KOKORO_CHUNK_RETRIES: '0',
    KOKORO_SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
  });
  const hosts = await Promise.all(ports.map((port) => HostProcess.start({ env: hostEnv(port), keepLines: 2000 })));
  t.teardown(() => Promise.all(hosts.map((h) => h.stop())).then(() => undefined));

  const dir = mkdtempSync(join(tmpdir(), 'kokoro-haproxy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lbPort = await freePort();
  const lb = await Haproxy.start(binary, {
    bind: `127.0.0.1:${lbPort}`,
    servers: ports.map((p) => `127.0.0.1:${p}`),
    check: CHECK,
    statsSocket: join(dir, 'admin.sock'),
    upWithinMs: UP_WITHIN_MS,
  });
  t.teardown(() => lb.stop());
  const wsUrl = `ws://127.0.0.1:${lbPort}/v1/tts/ws`;
  const base = `http://127.0.0.1:${lbPort}`;

  const load = (wsClients: number) =>
    new LoadRun({ wsUrl, base, wsClients, httpClients: 1, pauseMs: 100, maxTurnsPerClient: 400, turnTimeoutMs: TURN_TIMEOUT_MS }).start();
  const summary = (turns: readonly TurnRecord[]) => JSON.stringify(turns.filter((x) => x.outcome !== 'ok').map((x) => `${x.kind} ${x.backend} ${x.outcome} ${x.detail}`));
  const opened: Session[] = [];
  const openSession = async () => {
    const s = await Session.open(wsUrl);
    opened.push(s);
    return s;
  };
  t.teardown(() => opened.forEach((s) => s.terminate()));

  /** Opens sessions through the balancer until one lands on `name` (leastconn: each one goes to the least busy host, so this ends); closes the others. */
  async function sessionOn(name: string): Promise<Session> {
    const extra: Session[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        const s = await openSession();
        if (s.backend === name) return s;
        extra.push(s);
      }
      throw new Error(`no session landed on ${name}: ${JSON.stringify(extra.map((s) => s.backend))}`);
    } finally {
      extra.forEach((s) => s.close());
    }
  }

  t.test('a host made not-ready by a native stall gets no new sessions while DOWN, and gets them again once UP', async (t) => {
    const [h1] = hosts;
    // Straight to h1, not through the balancer: a chunk whose onnxruntime call does not return for 8 s.
    const stalled = await Session.open(h1!.wsUrl);
    t.teardown(() => stalled.terminate());
    const faulty = '[[stall:8000]] Stuck.';
    const down = lb.becomes('h1', 'DOWN', deadlineOf(faulty) + ZOMBIE_GRACE_MS + DOWN_WITHIN_MS);
    const stall = stalled.turn('stall', faulty, deadlineOf(faulty) + SLACK_MS + TURN_TIMEOUT_MS);
    await down;
    t.match((await h1!.readyz()).body, { ready: false, reasons: ['worker_zombie'] }, 'h1 is out for its stuck worker');
    const up = lb.becomes('h1', 'UP', 8000 + UP_WITHIN_MS + SLACK_MS);
    // While h1 is DOWN: two new sessions and an HTTP request all go elsewhere, and are served.
    const during = [await openSession(), await openSession()];
    t.same(during.map((s) => s.backend).sort(), ['h2', 'h3'], 'new sessions spread over the hosts still up');
    for (const [i, s] of during.entries()) t.match(await s.turn(`during-${i}`, 'Served while h1 is out.', TURN_TIMEOUT_MS), { outcome: 'ok' });
    const http = await fetch(`${base}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tts-1', input: 'And over HTTP.', response_format: 'pcm' }) });
    t.equal(http.status, 200);
    t.not(http.headers.get('x-kokoro-backend'), 'h1', 'HTTP went elsewhere too');
    await http.arrayBuffer();
    t.equal(lb.events.filter((e) => e.server === 'h1' && e.state === 'UP').length, 0, 'h1 was still DOWN through all of it (the checks above are not vacuous)');
    t.match(await stall, { outcome: 'error' }, 'the stalled chunk failed at its deadline (tts_chunk_timeout)');
    await up;
    // Back: h1 holds no session while h2 and h3 each hold one, so leastconn picks h1.
    const after = await openSession();
    t.equal(after.backend, 'h1', 'the recovered host takes the next session');
    t.match(await after.turn('after', 'Back in rotation.', TURN_TIMEOUT_MS), { outcome: 'ok' });
    [...during, after].forEach((s) => s.close());
  });

  t.test('SIGTERM (rolling restart): zero failed turns, its open session finishes, HAProxy takes it out before it exits, it comes back', async (t) => {
    const h2 = hosts[1]!;
    const traffic = load(4);
    await traffic.awaitTurns(8, (x) => x.outcome === 'ok', TURN_TIMEOUT_MS, 'served before the restart');
    // A session on h2 with a turn in flight whose text is still streaming: the host must keep it.
    const streamed = await sessionOn('h2');
    const turn = streamed.beginTurn('streamed', 'The first part of a streamed turn. ', TURN_TIMEOUT_MS + SHUTDOWN_GRACE_MS);
    await turn.firstAudio;
    const down = lb.becomes('h2', 'DOWN', DOWN_WITHIN_MS);
    let exitedAt: number | undefined;
    void h2.exited.then(() => (exitedAt = performance.now()));
    const termAt = performance.now();
    h2.kill('SIGTERM');
    const out = await down;
    t.equal(exitedAt, undefined, 'HAProxy took h2 out while it still served its open session');
    // Turns keep flowing meanwhile; then the session finishes its turn and is closed 1001.
    await traffic.awaitTurns(4, (x) => x.startedAt > out.at && x.outcome === 'ok', TURN_TIMEOUT_MS, 'served while h2 drains');
    streamed.finishTurn('streamed', 'And the end of it, sent after the drain began.');
    t.match(await turn.ended, { outcome: 'ok' }, 'the open turn finished with every chunk');
    await streamed.closed;
    t.equal(streamed.closedWith, 1001, 'then its session was closed as going away');
    t.match(await h2.exited, { code: 0 }, 'h2 drained and exited 0');
    // The rolling restart: the same address, back in rotation once its checks pass.
    const up = lb.becomes('h2', 'UP', 90_000 + UP_WITHIN_MS);
    const restartAt = performance.now();
    hosts[1] = await HostProcess.start({ env: hostEnv(ports[1]!), keepLines: 2000 });
    await up;
    await traffic.awaitTurns(4, (x) => x.outcome === 'ok', TURN_TIMEOUT_MS, 'served after the restart');
    await traffic.stop();
    t.equal(traffic.turns.filter((x) => x.outcome !== 'ok').length, 0, `no failed turn: ${summary(traffic.turns)}`);
    const late = traffic.sessions.filter((s) => s.openedAt > out.at && s.openedAt < restartAt && s.backend === 'h2');
    t.same(late, [], 'no session was opened on h2 once HAProxy had taken it out');
    t.ok(traffic.turns.some((x) => x.backend === 'h2' && x.startedAt < termAt), 'h2 served load before the restart (not vacuous)');
    t.ok(traffic.turns.filter((x) => x.startedAt > termAt).length >= 8, 'and load went on through the restart');
    t.comment(`${traffic.turns.length} turns, ${traffic.resent} resent after a 1001 before they began; by host: ${JSON.stringify(countBy(traffic.turns))}`);
  });

  t.test('SIGKILL: its turns fail with a connection error, no other turn fails, new turns go to the other hosts', async (t) => {
    const h3 = hosts[2]!;
    const traffic = load(4);
    await traffic.awaitTurns(8, (x) => x.outcome === 'ok', TURN_TIMEOUT_MS, 'served before the kill');
    // A turn certainly in flight on h3 when it dies.
    const doomed = await sessionOn('h3');
    const turn = doomed.beginTurn('doomed', 'This turn is streaming when its host is killed. ', TURN_TIMEOUT_MS);
    await turn.firstAudio;
    const down = lb.becomes('h3', 'DOWN', DOWN_WITHIN_MS);
    const killAt = performance.now();
    h3.kill('SIGKILL');
    t.match(await turn.ended, { outcome: 'connection_error' }, 'the turn in flight on h3 failed with a connection error');
    await down;
    await traffic.awaitTurns(8, (x) => x.connectedAt > killAt && x.outcome === 'ok', TURN_TIMEOUT_MS, 'served on connections made after the kill');
    await traffic.stop();
    const failed = traffic.turns.filter((x) => x.outcome !== 'ok');
    // A turn sent on a session to h3 (even just after the kill, before the client saw its socket die) is h3's.
    t.ok(failed.every((x) => x.backend === 'h3' && x.outcome === 'connection_error' && x.connectedAt < killAt), `failures only on h3's sessions, all connection errors: ${summary(traffic.turns)}`);
    const after = traffic.turns.filter((x) => x.connectedAt > killAt);
    t.ok(after.length > 0 && after.every((x) => x.outcome === 'ok' && x.backend !== 'h3'), `every new session and request after the kill was served elsewhere: ${JSON.stringify(countBy(after))}`);
    t.ok(traffic.turns.some((x) => x.backend === 'h3' && x.startedAt < killAt), 'h3 served load before the kill (not vacuous)');
    t.comment(`${traffic.turns.length} turns (${failed.length} failed on h3); by host: ${JSON.stringify(countBy(traffic.turns))}`);
  });
}

function countBy(turns: readonly TurnRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of turns) out[`${x.kind}:${x.backend ?? '?'}`] = (out[`${x.kind}:${x.backend ?? '?'}`] ?? 0) + 1;
  return out;
}
