/**
 * What one voice-agent listener hears, host variants side by side in one run:
 *
 *   node --import tsx bench/stream.ts [--model PATH] [--turns 3] [--rate 50] [--long]
 *        [--variant name:KEY=VALUE,KEY=VALUE ...] [--json]
 *
 * Each variant is the compiled host (dist/, `npm run build` first) with extra environment,
 * started in turn on the same model. One WebSocket client streams an LLM reply as `text`
 * messages at --rate tokens a second (four characters each, as bench/run.ts does), --turns
 * times, and plays every turn back in real time (bench/lib/playback.ts). Reported per
 * variant: first audible audio (-40 dBFS, from the first `text`), first byte, underruns and
 * their stall. --long streams a 2.6-minute reply (every long text of bench/texts.json)
 * instead of the three-sentence one. With no --variant: the host's default against the
 * chunker's fixed schedule (KOKORO_CHUNK_SIZING=0).
 *
 * Nothing is judged: figures are printed (with --json, one JSON object on the last line).
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureLlmStream, warmUp } from './host.ts';
import { killAllChildren } from '../harness/child.ts';
import { Host } from './lib/host.ts';
import { progressToStderr } from './lib/progress.ts';
import { table } from './lib/table.ts';
import { LLM_REPLY, mixedTexts } from './lib/texts.ts';
import texts from './texts.json' with { type: 'json' };

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ENTRY = `${ROOT}dist/src/server.js`;
const LONG_REPLY = texts.long.join(' ');
const WARM_MS = 4000;

interface Variant {
  name: string;
  env: Record<string, string>;
}

function parseVariant(spec: string): Variant {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const env: Record<string, string> = {};
  for (const pair of colon < 0 ? [] : spec.slice(colon + 1).split(',').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--variant ${spec}: expected name:KEY=VALUE,KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { name, env };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: process.env.KOKORO_MODEL ?? `${ROOT}models/synthetic/kokoro-synthetic.onnx` },
      turns: { type: 'string', default: '3' },
      rate: { type: 'string', default: '50' },
      long: { type: 'boolean', default: false },
      variant: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
  });
  progressToStderr(values.json);
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: npm run build first`);
  if (!existsSync(values.model)) throw new Error(`no model at ${values.model}`);
  const turns = Number(values.turns);
  const rate = Number(values.rate);
  if (!(Number.isInteger(turns) && turns > 0) || !(rate > 0)) throw new Error('--turns must be a positive integer and --rate positive');
  const variants = (values.variant ?? ['sized:', 'fixed:KOKORO_CHUNK_SIZING=0']).map(parseVariant);
  const reply = values.long ? LONG_REPLY : LLM_REPLY;
  const loadBefore = loadavg()[0]!;
  const rows: Array<Record<string, unknown>> = [];
  for (const v of variants) {
    const host = await Host.start({ root: ROOT, entry: ENTRY, modelPath: values.model, readyTimeoutMs: 180_000, env: v.env });
    try {
      await warmUp(host, mixedTexts(), WARM_MS);
      const r = await measureLlmStream(host, reply, rate, turns);
      rows.push({ variant: v.name, plan: `${host.plan.workers}x${host.plan.threads}`, audible_p50_ms: r.audible_ms.p50, first_byte_p50_ms: r.ttfa_ms.p50, underruns: r.underruns, stall_ms: r.stall_ms, turns: r.turns, audio_s: r.audio_s });
    } finally {
      await host.stop();
    }
  }
  const machine = { load_before: Math.round(loadBefore * 100) / 100, load_after: Math.round(loadavg()[0]! * 100) / 100 };
  const headers = Object.keys(rows[0] ?? {});
  process.stdout.write(`${table(headers, rows.map((r) => headers.map((h) => r[h] as string | number)))}\nreply: ${values.long ? 'long' : 'short'} at ${rate} tokens/s; load average ${machine.load_before} -> ${machine.load_after}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify({ model: values.model, reply: values.long ? 'long' : 'short', rate, ...machine, rows })}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench/stream: ${err instanceof Error ? err.message : String(err)}\n`);
    killAllChildren();
    process.exit(1);
  },
);
