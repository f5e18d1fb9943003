/**
 * The host's entry point: configuration -> app -> model loaded -> listening.
 *
 * Exit codes: 0 after a graceful shutdown (SIGTERM/SIGINT), 1 when the model cannot be
 * loaded or on a fatal error, 2 on invalid configuration, 3 after a stalled worker
 * escalated (KOKORO_EXIT_ON_STALL=1) so that the supervisor restarts a clean process.
 * Whenever a worker thread is still stuck in native code at exit, the process ends
 * itself with SIGKILL instead (see exit() below).
 */
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { ConfigError, isSyntheticModel, loadConfig, type Config } from './config.ts';
import { TtsError } from './errors.ts';

const EXIT_MODEL_LOAD = 1;
const EXIT_CONFIG = 2;
const EXIT_STALL = 3;

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
}

/** A bad KOKORO_LEXICON is a configuration error: its code on stderr, exit 2. */
async function buildOrExit(config: Config): ReturnType<typeof buildApp> {
  try {
    return await buildApp(config);
  } catch (err) {
    if (err instanceof TtsError && err.code === 'invalid_lexicon') {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const app = await buildOrExit(config);
  const { pool } = app.gateway;
  const log = app.log;

  let stalled = false;
  let closing: Promise<void> | undefined;
  const shutdown = (why: object): Promise<void> => {
    if (closing === undefined) {
      log.info({ ...why, graceMs: config.shutdownGraceMs }, 'shutting down');
      closing = app.close();
    }
    return closing;
  };

  // The pool's close forgets its zombies; this count (from its own events) survives it.
  let zombies = 0;
  pool.on('zombies_changed', (count: number) => (zombies = count));
  /**
   * process.exit() joins every worker thread. A thread stuck in native code (a zombie)
   * does not join until its call returns, possibly never, and onnxruntime then aborts the
   * process anyway. Only SIGKILL ends such a process: the supervisor sees a kill, not `code`.
   */
  const exit = (code: number): never => {
    const stuck = Math.max(zombies, pool.health().zombies.length);
    if (stuck > 0) {
      log.fatal({ zombies: stuck, exitCode: code }, 'worker threads are stuck in native code; killing the process');
      process.kill(process.pid, 'SIGKILL');
    }
    process.exit(code);
  };

  // The drain (grace) plus the pool's own close budget; past that the process is forced out.
  const hardDeadlineMs = 2 * config.shutdownGraceMs + 5000;
  const onShutdownProblem = (msg: unknown) => log.error({ msg }, 'shutdown problem');
  // Crash signals are not shutdown requests: a SIGSEGV/SIGABRT must end the process with that
  // signal so the supervisor restarts it (and clients see 1006), never drain it into exit 0.
  const crashSignals = ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGABRT', 'SIGTRAP'];
  // SIGHUP is no shutdown either: it reloads the lexicon (below), as daemons reload their configuration.
  closeWithGrace({ delay: hardDeadlineMs, skip: [...crashSignals, 'SIGHUP'] as never, logger: { error: onShutdownProblem }, onTimeout: () => exit(1) }, async ({ signal, err }) => {
    if (err !== undefined) log.error({ err }, 'fatal error');
    await shutdown({ signal: signal ?? (err !== undefined ? 'error' : 'exit') });
    exit(stalled ? EXIT_STALL : err !== undefined ? 1 : 0);
  });

  pool.on('zombie_escalation', (zombie: { threadId: number; ageMs: number }) => {
    if (!config.exitOnStall || stalled) return;
    stalled = true;
    log.error({ threadId: zombie.threadId, ageMs: Math.round(zombie.ageMs) }, 'a worker is stuck in native code; restarting the process');
    setTimeout(() => exit(EXIT_STALL), hardDeadlineMs).unref();
    void shutdown({ reason: 'worker_stall' }).finally(() => exit(EXIT_STALL));
  });

  // SIGHUP re-reads the lexicon (a bad file keeps the old one, with a warning).
  const lexicon = app.gateway.lexicon;
  process.on('SIGHUP', () => (lexicon === undefined ? log.info('SIGHUP: no KOKORO_LEXICON to reload') : lexicon.reload(log)));

  log.info(
    { plan: pool.health().plan, model: config.modelPath, fallback: config.fallbackUrl !== undefined, auth: config.apiKey !== undefined },
    'loading the model',
  );
  if (isSyntheticModel(config.modelPath)) {
    log.warn({ model: config.modelPath }, 'serving the SYNTHETIC test model (tones, not speech): run `npm run model:fetch` or set KOKORO_MODEL');
  }
  try {
    await pool.start();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.fatal({ code: err instanceof TtsError ? err.code : 'model_load_failed', reason, model: config.modelPath }, 'the model could not be loaded');
    await app.close().catch(() => undefined);
    exit(EXIT_MODEL_LOAD);
  }
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const onnxruntime = pool.runtime === undefined ? null : `${pool.runtime.version} (${pool.runtime.source})`;
  log.info({ host: config.host, port, workers: pool.health().plan.workers, onnxruntime }, 'ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
