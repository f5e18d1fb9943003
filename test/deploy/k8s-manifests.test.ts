/**
 * deploy/k8s/*.yaml against the Kubernetes API schemas, and against what the host needs.
 *
 * The schema validator is kubernetes-models (npm: ajv validators generated from the
 * Kubernetes OpenAPI spec, offline, no cluster), with yaml to read the files. They are tools,
 * not dependencies of the host: .ci/run installs them into .cache/k8s-validator
 * (K8S_VALIDATOR_PACKAGES below). Without them this FAILS, unless KOKORO_ALLOW_MISSING_TOOLS=1.
 *
 * Limits of the validator: it checks required fields, types, formats and enums, not
 * unknown fields (the generated schemas allow extra properties); the checks below pin the
 * fields this deployment relies on, so a misspelt probe or limit fails here anyway.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { defaultPlan } from '../../src/synth/cpu-budget.ts';
import { ALLOW_MISSING_TOOLS } from '../../harness/host-process.ts';
import { ROOT } from '../../harness/paths.ts';

/** What .ci/run installs (keep the two in step). */
export const K8S_VALIDATOR_PACKAGES = ['kubernetes-models@5.1.0', 'yaml@2.8.1'];
const TOOLS = process.env.KOKORO_K8S_VALIDATOR_DIR ?? `${ROOT}.cache/k8s-validator`;
const K8S_DIR = `${ROOT}deploy/k8s/`;
/** Genuine int8 model, 2 vCPUs: about 0.5-0.6 GB RSS per worker on top of the host's own (bench/RESULTS.md). */
const MB_PER_WORKER = 600;
const HOST_BASE_MB = 400;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const missing = ['kubernetes-models', 'yaml'].filter((p) => !existsSync(`${TOOLS}/node_modules/${p}/package.json`));
if (missing.length > 0) {
  const why = `the manifest validator is not installed (${missing.join(', ')} in ${TOOLS}): npm install --prefix ${TOOLS} ${K8S_VALIDATOR_PACKAGES.join(' ')} (.ci/run does)`;
  if (ALLOW_MISSING_TOOLS) t.test('Kubernetes manifests', { skip: `${why}; KOKORO_ALLOW_MISSING_TOOLS=1` }, () => undefined);
  else t.fail(`${why}, or set KOKORO_ALLOW_MISSING_TOOLS=1 to skip`);
} else {
  await run();
}

async function run(): Promise<void> {
  const yaml = (await import(`${TOOLS}/node_modules/yaml/dist/index.js`)) as { parseAllDocuments: (s: string) => Array<{ errors: unknown[]; toJS: () => unknown }> };

  /** The model class for a manifest (kubernetes-models/<group>/<version>/<Kind>), or an error naming what is unknown. */
  async function validate(doc: Obj): Promise<void> {
    const path = `${TOOLS}/node_modules/kubernetes-models/${doc.apiVersion}/${doc.kind}.js`;
    if (!existsSync(path)) throw new Error(`unknown apiVersion/kind ${doc.apiVersion} ${doc.kind}`);
    const mod = (await import(path)) as Record<string, new (o: Obj) => { validate: () => void }>;
    new mod[doc.kind]!(doc).validate();
  }

  const files = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  const docs = new Map<string, Obj>();
  for (const file of files) {
    const parsed = yaml.parseAllDocuments(readFileSync(`${K8S_DIR}${file}`, 'utf8'));
    t.equal(parsed.length, 1, `${file}: one document`);
    t.same(parsed[0]!.errors, [], `${file}: valid YAML`);
    docs.set(file, parsed[0]!.toJS() as Obj);
  }

  t.test('every manifest validates against the Kubernetes API schema', async (t) => {
    t.ok(files.length >= 5, `manifests: ${files.join(', ')}`);
    for (const [file, doc] of docs) {
      await t.resolves(validate(doc), `${file}: ${doc.kind} ${doc.apiVersion}`);
    }
  });

  t.test('the validator refuses broken manifests (it can fail)', async (t) => {
    const deployment = docs.get('deployment.yaml')!;
    const broken = structuredClone(deployment);
    delete broken.spec.selector;
    broken.spec.template.spec.containers[0].resources.limits.cpu = { two: 2 };
    await t.rejects(validate(broken), /selector/);
    const wrongKind = { ...structuredClone(deployment), kind: 'Deploymnet' };
    await t.rejects(validate(wrongKind), /unknown apiVersion\/kind/);
    const badProbe = structuredClone(deployment);
    badProbe.spec.template.spec.containers[0].readinessProbe.periodSeconds = 'often';
    await t.rejects(validate(badProbe), /periodSeconds/);
  });

  t.test('kustomization lists the base manifests', async (t) => {
    const k = yaml.parseAllDocuments(readFileSync(`${K8S_DIR}kustomization.yaml`, 'utf8'))[0]!.toJS() as Obj;
    t.same([...k.resources].sort(), ['deployment.yaml', 'hpa.yaml', 'pdb.yaml', 'service.yaml']);
  });

  t.test('the Deployment gives the host what it relies on', async (t) => {
    const d = docs.get('deployment.yaml')!;
    const pod = d.spec.template.spec;
    const c = pod.containers.find((x: Obj) => x.name === 'kokoro');
    const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value]));
    t.match(c.livenessProbe, { httpGet: { path: '/healthz' } }, 'liveness on /healthz');
    t.match(c.readinessProbe, { httpGet: { path: '/readyz' } }, 'readiness on /readyz');
    t.equal(env.KOKORO_EXIT_ON_STALL, '1', 'a stalled host exits for the kubelet to restart');
    // Grace: preStop, then the host's own hard deadline (src/server.ts: 2 x grace + 5 s).
    const preStop = Number(c.lifecycle.preStop.exec.command.at(-1));
    const hostDeadlineS = (2 * Number(env.KOKORO_SHUTDOWN_GRACE_MS)) / 1000 + 5;
    t.ok(pod.terminationGracePeriodSeconds > preStop + hostDeadlineS, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > preStop ${preStop} s + host drain ${hostDeadlineS} s`);
    // CPU: the host sizes its pool from cgroup cpu.max, rounded to whole vCPUs: a whole number, request = limit.
    const cpu = c.resources.limits.cpu;
    t.match(String(cpu), /^\d+$/, 'a whole number of vCPUs');
    t.equal(c.resources.requests.cpu, cpu, 'request = limit: the pool the host plans is the CPU it is guaranteed');
    const plan = defaultPlan(Number(cpu));
    const memMi = Number(/^(\d+)Mi$/.exec(c.resources.limits.memory)?.[1]);
    const needMb = HOST_BASE_MB + plan.workers * MB_PER_WORKER;
    t.ok(memMi >= needMb, `memory limit ${memMi} Mi >= ${needMb} MB for ${plan.workers} workers on the genuine model`);
    t.ok(Number(env.KOKORO_RSS_CEILING_MB) < memMi, 'workers are recycled below the memory limit');
    // The model: from a volume, never fetched by a request.
    const mount = c.volumeMounts.find((m: Obj) => String(env.KOKORO_MODEL).startsWith(`${m.mountPath}/`));
    t.ok(mount !== undefined, `KOKORO_MODEL ${env.KOKORO_MODEL} is on a mounted volume`);
    t.ok(pod.volumes.some((v: Obj) => v.name === mount?.name), 'that volume is defined');
    t.same(d.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 }, 'a rolling restart never drops capacity');
  });

  t.test('Service, PodDisruptionBudget and HPAs point at the Deployment', async (t) => {
    const labels = docs.get('deployment.yaml')!.spec.template.metadata.labels;
    t.match(labels, docs.get('service.yaml')!.spec.selector);
    t.match(labels, docs.get('pdb.yaml')!.spec.selector.matchLabels);
    for (const file of ['hpa.yaml', 'hpa-queue-depth.yaml']) {
      const hpa = docs.get(file)!;
      t.match(hpa.spec.scaleTargetRef, { kind: 'Deployment', name: docs.get('deployment.yaml')!.metadata.name }, file);
      t.ok(hpa.spec.metrics.some((m: Obj) => m.type === 'Resource' && m.resource.name === 'cpu'), `${file} scales on CPU`);
    }
    const queue = docs.get('hpa-queue-depth.yaml')!.spec.metrics.find((m: Obj) => m.type === 'Pods');
    const metrics = readFileSync(`${ROOT}src/metrics.ts`, 'utf8');
    t.ok(metrics.includes(`name: '${queue.pods.metric.name}'`), `${queue.pods.metric.name} is a metric the host exports`);
  });
}
