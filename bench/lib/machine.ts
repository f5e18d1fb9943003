/** Facts about the machine and the run, stored with every result so runs can be compared. */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release, totalmem, type } from 'node:os';
import { relative } from 'node:path';
import { loadRuntime } from '../../src/runtime/resolve.ts';
import { readCpuFacts, type CpuFacts } from '../../src/synth/cpu-budget.ts';

export interface MachineFacts {
  cpu_model: string;
  /** vCPUs as the host sees them (cgroup quota and cpuset included). */
  vcpus: number;
  cpu: CpuFacts;
  memory_gb: number;
  os: string;
  node: string;
  onnxruntime_node: string;
  /** The onnxruntime library the host and raw workers run (src/runtime), which may be newer than onnxruntime-node's. */
  onnxruntime?: RuntimeFacts;
  git_commit: string | null;
}

export interface RuntimeFacts {
  version: string;
  source: 'bundled' | 'newer';
  fallback_reason?: string;
}

export interface ModelFacts {
  path: string;
  bytes: number;
  mb: number;
  synthetic: boolean;
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve(name);
    const at = main.lastIndexOf(`/node_modules/${name}/`);
    const file = `${main.slice(0, at)}/node_modules/${name}/package.json`;
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(root: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

export function machineFacts(root: string): MachineFacts {
  const cpu = readCpuFacts();
  return {
    cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
    vcpus: cpu.vcpus,
    cpu,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    onnxruntime_node: packageVersion('onnxruntime-node'),
    git_commit: gitCommit(root),
  };
}

/**
 * Which onnxruntime KOKORO_ORT / KOKORO_ORT_DIR select here, by loading it as a worker
 * would (the host's children and the raw workers see the same environment).
 */
export async function runtimeFacts(env: NodeJS.ProcessEnv = process.env): Promise<RuntimeFacts> {
  const { info } = await loadRuntime({ choice: env.KOKORO_ORT, cacheRoot: env.KOKORO_ORT_DIR });
  return { version: info.version, source: info.source, ...(info.fallbackReason !== undefined ? { fallback_reason: info.fallbackReason } : {}) };
}

export function modelFacts(path: string, root: string): ModelFacts {
  const bytes = statSync(path).size;
  const rel = relative(root, path);
  return { path: rel.startsWith('..') ? path : rel, bytes, mb: Math.round((bytes / 2 ** 20) * 10) / 10, synthetic: /synthetic/.test(path) };
}
