/** The workers x threads plans the raw part and the tuning matrix try. */
import { defaultPlan } from '../../src/synth/cpu-budget.ts';

export interface Plan {
  workers: number;
  threads: number;
}

export const planName = (p: Plan) => `${p.workers}x${p.threads}`;

/**
 * Up to 3 vCPUs: every plan with workers x threads <= vCPUs (2 vCPUs: 1x1, 1x2, 2x1), and from 2
 * vCPUs one oversubscribed plan, one worker per vCPU with 2 threads each (2x2): on a real model it keeps
 * 2x1's throughput while a lone request runs ~1.4x sooner.
 * Above that the list would grow quadratically, so only the plans that fill the vCPUs
 * exactly, plus 1x1 and the host's default plan.
 */
export function plansFor(vcpus: number): Plan[] {
  const plans: Plan[] = [];
  const add = (p: Plan) => {
    if (!plans.some((q) => q.workers === p.workers && q.threads === p.threads)) plans.push(p);
  };
  for (let w = 1; w <= vcpus; w++) {
    for (let t = 1; w * t <= vcpus; t++) {
      if (vcpus <= 3 || w * t === vcpus) add({ workers: w, threads: t });
    }
  }
  if (vcpus >= 2 && vcpus <= 3) add({ workers: vcpus, threads: 2 });
  add({ workers: 1, threads: 1 });
  const d = defaultPlan(vcpus);
  add({ workers: d.workers, threads: d.threadsPerWorker });
  return plans.sort((a, b) => a.workers - b.workers || a.threads - b.threads);
}
