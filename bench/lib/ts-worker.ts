/**
 * new Worker() for a module that may be TypeScript. On Node 20, `node --import tsx`
 * registers its loader hooks for the main thread only: a Worker given a .ts file fails
 * with ERR_UNKNOWN_FILE_EXTENSION (even with execArgv). So a .ts worker starts from a
 * one-line bootstrap that registers tsx inside the worker, then imports the module.
 * Compiled .js workers start directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(file: URL, options: WorkerOptions = {}): Worker {
  if (!file.pathname.endsWith('.ts')) return new Worker(file, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
