/** Command-line options of `npm run bench`. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const PARTS = ['raw', 'naive', 'host', 'tuning', 'faults', 'soak'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchArgs {
  quick: boolean;
  json: boolean;
  model: string;
  /** The host's entry: src/server.ts (run under tsx), or a compiled .js entry. */
  hostEntry: string;
  parts: ReadonlySet<Part>;
}

export const USAGE = `usage: npm run bench -- [--quick] [--json] [--model PATH] [--only raw,naive,host,tuning,faults,soak]
  --quick   a short run (under 2 minutes on 2 vCPUs), no soak
  --json    progress goes to stderr; the last stdout line is one JSON object with the figures
  --model   the ONNX model (default: KOKORO_MODEL, else models/synthetic/kokoro-synthetic.onnx)
  --only    run only these parts (figures of the others are reported as null)
  --host    the host entry (npm run bench builds and passes dist/src/server.js; a .ts entry runs under tsx, a .js entry such as
            dist/src/server.js after npm run build runs on plain node)`;

export class UsageError extends Error {
  readonly code: 'bench_usage' | 'bench_help';
  constructor(message: string, code: 'bench_usage' | 'bench_help' = 'bench_usage') {
    super(message);
    this.code = code;
  }
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv, root: string): BenchArgs {
  let quick = false;
  let json = false;
  let model = env.KOKORO_MODEL ?? '';
  let only: string | undefined;
  let host = 'src/server.ts';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name === '--quick') quick = true;
    else if (name === '--json') json = true;
    else if (name === '--model') model = value();
    else if (name === '--only') only = value();
    else if (name === '--host') host = value();
    else if (name === '--help' || name === '-h') throw new UsageError('', 'bench_help');
    else throw new UsageError(`unknown option ${arg}`);
  }
  const path = resolve(root, model === '' ? 'models/synthetic/kokoro-synthetic.onnx' : model);
  if (!existsSync(path)) {
    throw new UsageError(`model not found: ${path} (run npm run model:synthetic, or npm run model:fetch, or pass --model PATH)`);
  }
  const hostEntry = resolve(root, host);
  if (!existsSync(hostEntry)) throw new UsageError(`host entry not found: ${hostEntry}`);
  const parts = new Set<Part>(quick ? PARTS.filter((p) => p !== 'soak') : PARTS);
  if (only !== undefined) {
    parts.clear();
    for (const name of only.split(',')) {
      if (!(PARTS as readonly string[]).includes(name)) throw new UsageError(`--only: unknown part "${name}" (parts: ${PARTS.join(', ')})`);
      parts.add(name as Part);
    }
  }
  return { quick, json, model: path, hostEntry, parts };
}
