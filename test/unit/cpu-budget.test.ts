import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { defaultPlan, parseCpuMax, parseCpuset, planPool, readCpuFacts } from '../../src/synth/cpu-budget.ts';

function fakeCgroup(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cgroup-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  }
  return root;
}

t.test('cgroup v2 cpu.max', async (t) => {
  t.equal(parseCpuMax('150000 100000'), 1.5);
  t.equal(parseCpuMax('max 100000'), null, 'max means no quota');
  t.equal(parseCpuMax('50000 100000'), 0.5);
  const facts = readCpuFacts(fakeCgroup({ 'cpu.max': '150000 100000' }), 8);
  t.equal(facts.quota, 1.5);
  t.equal(facts.vcpus, 2, '1.5 CPUs of quota rounds to 2 vCPUs');
  t.equal(readCpuFacts(fakeCgroup({ 'cpu.max': '40000 100000' }), 8).vcpus, 1, 'never below 1');
  t.equal(readCpuFacts(fakeCgroup({ 'cpu.max': 'max 100000' }), 8).vcpus, 8, 'no quota: the core count');
});

t.test('cpuset', async (t) => {
  t.equal(parseCpuset('0-3,6'), 5);
  t.equal(parseCpuset('0'), 1);
  t.equal(parseCpuset('0-1,4-5,7'), 5);
  t.equal(parseCpuset(''), null);
  t.equal(parseCpuset('3-1'), null);
  t.equal(parseCpuset('a-b'), null);
  const facts = readCpuFacts(fakeCgroup({ 'cpu.max': 'max 100000', 'cpuset.cpus.effective': '0-3,6' }), 16);
  t.equal(facts.cpuset, 5);
  t.equal(facts.vcpus, 5);
});

t.test('the least of quota, cpuset and parallelism wins', async (t) => {
  const root = fakeCgroup({ 'cpu.max': '300000 100000', 'cpuset.cpus.effective': '0-3' });
  t.equal(readCpuFacts(root, 8).vcpus, 3);
  t.equal(readCpuFacts(root, 2).vcpus, 2);
});

t.test('cgroup v1', async (t) => {
  const root = fakeCgroup({ 'cpu/cpu.cfs_quota_us': '250000', 'cpu/cpu.cfs_period_us': '100000', 'cpuset/cpuset.cpus': '0-7' });
  const facts = readCpuFacts(root, 16);
  t.equal(facts.quota, 2.5);
  t.equal(facts.vcpus, 3);
  t.equal(readCpuFacts(fakeCgroup({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' }), 4).vcpus, 4, '-1 is no quota');
});

t.test('no cgroup files at all', async (t) => {
  t.equal(readCpuFacts(fakeCgroup({}), 6).vcpus, 6);
});

t.test('plans never oversubscribe unless overridden', async (t) => {
  for (let vcpus = 1; vcpus <= 64; vcpus++) {
    const { plan, warning } = planPool(vcpus, {});
    t.ok(plan.workers * plan.threadsPerWorker <= vcpus, `${vcpus} vCPUs: ${plan.workers}x${plan.threadsPerWorker}`);
    t.equal(warning, undefined);
    t.same(defaultPlan(vcpus), { workers: plan.workers, threadsPerWorker: plan.threadsPerWorker });
  }
  t.same(planPool(4, { workers: 2 }).plan, { vcpus: 4, workers: 2, threadsPerWorker: 2, source: 'override' });
  t.same(planPool(4, { threadsPerWorker: 4 }).plan, { vcpus: 4, workers: 1, threadsPerWorker: 4, source: 'override' });
  const over = planPool(2, { workers: 2, threadsPerWorker: 2 });
  t.match(over.warning, /oversubscribes 2 vCPUs/);
});
