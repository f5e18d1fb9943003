/** The soak's command-line options (scripts/soak.ts; `--help` lists them). */
export interface Options {
  model: string | undefined;
  /** A turn every this many ms, instead of the calibrated rate (0: calibrated). */
  intervalMs: number;
  turns: number;
  maxSentences: number;
  cancelRate: number;
  disconnectRate: number;
  minutes: number;
  workers: number;
  load: number;
  faultRate: number;
  sampleS: number;
  abuseEveryS: number;
  seed: number;
  arena: boolean;
  mallocArenaMax: number;
}

export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { model: undefined, intervalMs: 0, turns: 0, maxSentences: 6, cancelRate: 0, disconnectRate: 0, minutes: 10, workers: 2, load: 0.7, faultRate: 0.01, sampleS: 5, abuseEveryS: 60, seed: 1, arena: false, mallocArenaMax: 2 };
  const numeric: Record<string, keyof Options> = {
    '--minutes': 'minutes',
    '--workers': 'workers',
    '--load': 'load',
    '--fault-rate': 'faultRate',
    '--sample-s': 'sampleS',
    '--abuse-every-s': 'abuseEveryS',
    '--seed': 'seed',
    '--malloc-arena-max': 'mallocArenaMax',
    '--turns': 'turns',
    '--interval-ms': 'intervalMs',
    '--max-sentences': 'maxSentences',
    '--cancel-rate': 'cancelRate',
    '--disconnect-rate': 'disconnectRate',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (flag === '--model') {
      if (value === undefined || value === '') throw new Error('--model takes a path');
      o.model = value;
      continue;
    }
    if (flag === '--arena') {
      if (value !== 'on' && value !== 'off') throw new Error('--arena takes on or off');
      o.arena = value === 'on';
      continue;
    }
    const key = numeric[flag];
    const n = Number(value);
    if (key === undefined) throw new Error(`unknown option ${flag}`);
    if (value === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
    (o as unknown as Record<string, number>)[key] = n;
  }
  if (o.minutes <= 0 || o.workers < 1 || o.load <= 0 || o.load > 1 || o.faultRate > 0.5 || o.sampleS < 1 || o.maxSentences < 1 || o.cancelRate + o.disconnectRate > 1) {
    throw new Error('need --minutes > 0, --workers >= 1, 0 < --load <= 1, --fault-rate <= 0.5, --sample-s >= 1, --max-sentences >= 1, --cancel-rate + --disconnect-rate <= 1');
  }
  return o;
}
