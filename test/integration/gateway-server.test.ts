/**
 * src/server.ts as a process: its exit codes (2 bad config, 1 model load failure,
 * 0 graceful SIGTERM, SIGKILL after a stalled worker with KOKORO_EXIT_ON_STALL) and the
 * drain a WebSocket client sees on SIGTERM.
 */
import { existsSync } from 'node:fs';
import t, { type Test } from 'tap';
import { WsClient } from '../helpers/gateway.ts';
import { HostProcess, ROOT, STALL_MODEL } from '../../harness/host-process.ts';

/** Spawns the host (not waiting for it) and kills it at teardown if it is still running. */
function spawnHost(t: Test, env: Record<string, string>): HostProcess {
  const host = HostProcess.spawn({ env: { KOKORO_CANARY_INTERVAL_MS: '60000', ...env } });
  t.teardown(() => host.kill('SIGKILL'));
  return host;
}

/** The exit code, or the signal name when killed. */
async function exitOf(host: HostProcess): Promise<number | string | null> {
  const { code, signal } = await host.exited;
  return code ?? signal;
}

t.test('invalid configuration exits 2 and names the bad variable', async (t) => {
  const host = spawnHost(t, { PORT: 'eighty', KOKORO_WORKERS: '0' });
  t.equal(await exitOf(host), 2);
  const text = host.stderr.join('\n');
  t.match(text, /PORT/);
  t.match(text, /KOKORO_WORKERS/);
});

t.test('a model that cannot be loaded exits 1 with the reason', async (t) => {
  const host = spawnHost(t, { KOKORO_MODEL: `${ROOT}models/does-not-exist.onnx` });
  t.equal(await exitOf(host), 1);
  const fatal = host.lines((l) => l.msg === 'the model could not be loaded')[0];
  t.ok(fatal, 'a fatal log line');
  t.match(fatal, { code: 'model_load_failed', reason: String });
});

t.test('SIGTERM drains: open sessions get shutting_down and 1001, then the process exits 0', async (t) => {
  const host = spawnHost(t, { KOKORO_SHUTDOWN_GRACE_MS: '2000' });
  await host.ready();
  const client = await WsClient.open(host.wsUrl);
  await client.json('ready');
  host.kill('SIGTERM');
  t.match(await client.json('error'), { code: 'shutting_down', recoverable: false });
  t.equal((await client.closed).code, 1001);
  t.equal(await exitOf(host), 0);
});

const STALL_ENV = {
  KOKORO_EXIT_ON_STALL: '1',
  KOKORO_RUN_TIMEOUT_BASE_MS: '1000',
  KOKORO_RUN_TIMEOUT_PER_TOKEN_MS: '0',
  KOKORO_RUN_TIMEOUT_MAX_MS: '1000',
  KOKORO_CHUNK_RETRIES: '0',
  KOKORO_ZOMBIE_GRACE_MS: '300',
};

async function stall(t: Test, env: Record<string, string>, text: string): Promise<HostProcess> {
  t.ok(existsSync(STALL_MODEL), 'the synthetic stall model exists (npm run model:synthetic)');
  const host = spawnHost(t, { ...STALL_ENV, ...env });
  await host.ready();
  const client = await WsClient.open(host.wsUrl);
  t.teardown(() => client.close());
  await client.json('ready');
  client.send({ type: 'speak', text });
  return host;
}

// Exit code 3 itself needs the stuck thread to return before the pool closes, which the
// pool's close (it forgets its zombies) does not wait for; the kill is what a real stall gets.
t.test('KOKORO_EXIT_ON_STALL: a worker stuck in native code drains the host, then the process kills itself rather than hang', async (t) => {
  const host = await stall(t, { KOKORO_SHUTDOWN_GRACE_MS: '300' }, '[[stall:60000]] Stuck for good.');
  t.equal(await exitOf(host), 'SIGKILL');
  const said = (msg: string) => host.lines((l) => l.msg === msg);
  t.ok(said('a worker is stuck in native code; restarting the process').length > 0);
  t.ok(said('shutting down').some((l) => l.reason === 'worker_stall'), 'a graceful drain came first');
  t.ok(said('worker threads are stuck in native code; killing the process').length > 0);
});
