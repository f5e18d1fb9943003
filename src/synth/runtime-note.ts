/**
 * The onnxruntime the workers run, as the pool reports it: exported as a metric, and
 * logged when it first appears or changes (a WARNING when a newer runtime was there but
 * unusable, or when workers disagree).
 */
import type { Metrics } from '../metrics.ts';
import type { RuntimeInfo } from '../runtime/types.ts';

export function noteRuntime(before: RuntimeInfo | undefined, runtime: RuntimeInfo, metrics: Pick<Metrics, 'onnxruntime'>, log: { info(o: object, m: string): void; warn(o: object, m: string): void }): void {
  if (before?.version === runtime.version && before.source === runtime.source) return;
  metrics.onnxruntime.reset();
  metrics.onnxruntime.set({ version: runtime.version, source: runtime.source }, 1);
  if (runtime.fallbackReason !== undefined) log.warn({ onnxruntime: runtime }, `running the bundled onnxruntime ${runtime.version}: ${runtime.fallbackReason}`);
  else if (before !== undefined) log.warn({ onnxruntime: runtime, before }, 'workers run different onnxruntime builds');
  else log.info({ onnxruntime: runtime }, `onnxruntime ${runtime.version} (${runtime.source})`);
}
