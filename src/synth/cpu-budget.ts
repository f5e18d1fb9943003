/**
 * How many vCPUs this process may really use, and the pool plan that follows.
 *
 * os.availableParallelism() counts the cores the scheduler lets us run on, but a
 * container's CPU quota (cgroup v2 cpu.max, v1 cfs_quota_us / cfs_period_us) can allow
 * far less time than that. Oversubscribing onnxruntime threads past the quota makes every
 * chunk slower, so the smallest of the three limits wins.
 *
 * Rounding rule: a fractional quota is rounded to the nearest whole vCPU, never below 1
 * ("150000 100000" = 1.5 -> 2; 0.4 -> 1). Half a vCPU of quota is still worth a thread
 * on a box whose quota is fractional, and rounding down would leave it idle.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { PoolPlan } from './pool-types.ts';

export interface CpuFacts {
  available: number;
  quota: number | null;
  cpuset: number | null;
  vcpus: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** "0-3,6" -> 5. Returns null for an empty or malformed list. */
export function parseCpuset(list: string): number | null {
  if (list.trim() === '') return null;
  let count = 0;
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return null;
    count += hi - lo + 1;
  }
  return count;
}

/** cgroup v2 cpu.max: "150000 100000" -> 1.5; "max 100000" -> null (no quota). */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return null;
  const q = Number(quota);
  const p = Number(period ?? 100000);
  return q > 0 && p > 0 ? q / p : null;
}

/** cgroup v1: cfs_quota_us of -1 means no quota. */
export function parseCfs(quotaUs: string, periodUs: string): number | null {
  const q = Number(quotaUs);
  const p = Number(periodUs);
  return q > 0 && p > 0 ? q / p : null;
}

/** Read the limits under `root` (a real /sys/fs/cgroup, or a fake tree in tests). */
export function readCpuFacts(root = '/sys/fs/cgroup', available = availableParallelism()): CpuFacts {
  let quota: number | null = null;
  const v2 = read(`${root}/cpu.max`);
  if (v2 !== null) {
    quota = parseCpuMax(v2);
  } else {
    const q = read(`${root}/cpu/cpu.cfs_quota_us`) ?? read(`${root}/cpu,cpuacct/cpu.cfs_quota_us`);
    const p = read(`${root}/cpu/cpu.cfs_period_us`) ?? read(`${root}/cpu,cpuacct/cpu.cfs_period_us`);
    if (q !== null && p !== null) quota = parseCfs(q, p);
  }
  const setText = read(`${root}/cpuset.cpus.effective`) ?? read(`${root}/cpuset/cpuset.effective_cpus`) ?? read(`${root}/cpuset/cpuset.cpus`);
  const cpuset = setText === null ? null : parseCpuset(setText);
  const limits = [available, quota === null ? Infinity : Math.max(1, Math.round(quota)), cpuset ?? Infinity];
  return { available, quota, cpuset, vcpus: Math.max(1, Math.min(...limits)) };
}

/**
 * The default plan per vCPU count. On 2 vCPUs the bench's tuning matrix (bench/RESULTS.md)
 * decides; above that, one worker per two vCPUs with two intra-op threads each keeps
 * parallel requests flowing while each chunk still gets parallel matmuls.
 */
export function defaultPlan(vcpus: number): { workers: number; threadsPerWorker: number } {
  if (vcpus <= 1) return { workers: 1, threadsPerWorker: 1 };
  if (vcpus <= 3) return { workers: vcpus, threadsPerWorker: 1 };
  return { workers: Math.floor(vcpus / 2), threadsPerWorker: 2 };
}

export interface PlanResult {
  plan: PoolPlan;
  /** Set when overrides oversubscribe the vCPUs. */
  warning?: string;
}

export function planPool(vcpus: number, overrides: { workers?: number | undefined; threadsPerWorker?: number | undefined }): PlanResult {
  const base = defaultPlan(vcpus);
  const overridden = overrides.workers !== undefined || overrides.threadsPerWorker !== undefined;
  let workers = overrides.workers ?? base.workers;
  let threadsPerWorker = overrides.threadsPerWorker ?? base.threadsPerWorker;
  if (overrides.workers !== undefined && overrides.threadsPerWorker === undefined) {
    threadsPerWorker = Math.max(1, Math.floor(vcpus / workers));
  } else if (overrides.threadsPerWorker !== undefined && overrides.workers === undefined) {
    workers = Math.max(1, Math.floor(vcpus / threadsPerWorker));
  }
  const plan: PoolPlan = { vcpus, workers, threadsPerWorker, source: overridden ? 'override' : 'default' };
  if (workers * threadsPerWorker > vcpus) {
    return { plan, warning: `${workers} workers x ${threadsPerWorker} threads oversubscribes ${vcpus} vCPUs` };
  }
  return { plan };
}
