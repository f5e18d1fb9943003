/**
 * src/server.ts as a process: its exit codes (2 bad config, 1 model load failure,
 * 0 graceful SIGTERM, SIGKILL after a stalled worker with KOKORO_EXIT_ON_STALL) and the
 * drain a WebSocket client sees on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import t, { type Test } from 'tap';
import { WsClient } from './helpers/gateway.ts';
import { ROOT, STALL_MODEL, SYNTHETIC_MODEL } from './helpers/pool.ts';

// The TypeScript loader tap runs this file with: unlike `--import tsx`, it also applies inside the pool's worker threads.
const TS_LOADER = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));

interface Server {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  stderr: string[];
  /** The exit code, or the signal name when killed. */
  exited: Promise<number | string>;
  /** Resolves with the first log line matching `match`. */
  line(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

function start(env: Record<string, string>): Server {
  const child = spawn(process.execPath, [...TS_LOADER, 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: '1', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', KOKORO_WORKERS: '1', KOKORO_THREADS_PER_WORKER: '1', KOKORO_CANARY_INTERVAL_MS: '60000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(line);
    for (const w of waiters.filter((w) => w.match(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  createInterface({ input: child.stderr! }).on('line', (text) => stderr.push(text));
  const exited = once(child, 'exit').then(([code, signal]) => (code as number | null) ?? (signal as string));
  return {
    child,
    logs,
    stderr,
    exited,
    line: (match) => {
      const found = logs.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then(() => reject(new Error(`the server exited first; stderr: ${stderr.join('\n')}`)));
      });
    },
  };
}

function stopOnTeardown(t: Test, server: Server): void {
  t.teardown(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
}

t.test('invalid configuration exits 2 and names the bad variable', async (t) => {
  const server = start({ PORT: 'eighty', KOKORO_WORKERS: '0' });
  stopOnTeardown(t, server);
  t.equal(await server.exited, 2);
  const text = server.stderr.join('\n');
  t.match(text, /PORT/);
  t.match(text, /KOKORO_WORKERS/);
});

t.test('a model that cannot be loaded exits 1 with the reason', async (t) => {
  const server = start({ KOKORO_MODEL: `${ROOT}models/does-not-exist.onnx` });
  stopOnTeardown(t, server);
  t.equal(await server.exited, 1);
  const fatal = server.logs.find((l) => l.msg === 'the model could not be loaded');
  t.ok(fatal, 'a fatal log line');
  t.match(fatal, { code: 'model_load_failed', reason: String });
});

t.test('SIGTERM drains: open sessions get shutting_down and 1001, then the process exits 0', async (t) => {
  const server = start({ KOKORO_MODEL: SYNTHETIC_MODEL, KOKORO_SHUTDOWN_GRACE_MS: '2000' });
  stopOnTeardown(t, server);
  const ready = await server.line((l) => l.msg === 'ready');
  const client = await WsClient.open(`ws://127.0.0.1:${ready.port as number}/v1/tts/ws`);
  await client.json('ready');
  server.child.kill('SIGTERM');
  t.match(await client.json('error'), { code: 'shutting_down', recoverable: false });
  t.equal((await client.closed).code, 1001);
  t.equal(await server.exited, 0);
});

const STALL_ENV = {
  KOKORO_MODEL: SYNTHETIC_MODEL,
  KOKORO_FAULT_INJECTION: '1',
  KOKORO_EXIT_ON_STALL: '1',
  KOKORO_RUN_TIMEOUT_BASE_MS: '1000',
  KOKORO_RUN_TIMEOUT_PER_TOKEN_MS: '0',
  KOKORO_RUN_TIMEOUT_MAX_MS: '1000',
  KOKORO_CHUNK_RETRIES: '0',
  KOKORO_ZOMBIE_GRACE_MS: '300',
};

async function stall(t: Test, env: Record<string, string>, text: string): Promise<Server> {
  t.ok(existsSync(STALL_MODEL), 'the synthetic stall model exists (npm run model:synthetic)');
  const server = start({ ...STALL_ENV, ...env });
  stopOnTeardown(t, server);
  const ready = await server.line((l) => l.msg === 'ready');
  const client = await WsClient.open(`ws://127.0.0.1:${ready.port as number}/v1/tts/ws`);
  t.teardown(() => client.close());
  await client.json('ready');
  client.send({ type: 'speak', text });
  return server;
}

// Exit code 3 itself needs the stuck thread to return before the pool closes, which the
// pool's close (it forgets its zombies) does not wait for; the kill is what a real stall gets.
t.test('KOKORO_EXIT_ON_STALL: a worker stuck in native code drains the host, then the process kills itself rather than hang', async (t) => {
  const server = await stall(t, { KOKORO_SHUTDOWN_GRACE_MS: '300' }, '[[stall:60000]] Stuck for good.');
  t.equal(await server.exited, 'SIGKILL');
  t.ok(server.logs.some((l) => l.msg === 'a worker is stuck in native code; restarting the process'));
  t.ok(server.logs.some((l) => l.msg === 'shutting down' && l.reason === 'worker_stall'), 'a graceful drain came first');
  t.ok(server.logs.some((l) => l.msg === 'worker threads are stuck in native code; killing the process'));
});
