/**
 * The host's configuration: read from the environment (and matching CLI flags) once,
 * validated with one exact message per bad value, then frozen. The only module that
 * reads process.env; everything else receives its slice explicitly.
 *
 * A CLI flag is the option's name in kebab case: KOKORO_WORKERS=2 is `--workers 2`,
 * PORT=9000 is `--port 9000`. Flags win over the environment.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { projectRootOf } from './runtime/paths.ts';

type Kind = 'int' | 'number' | 'bool' | 'string' | 'url' | 'level';

interface OptionSpec {
  env: string;
  kind: Kind;
  min?: number;
  max?: number;
  default?: number | boolean | string;
}

const ROOT = projectRootOf(import.meta.url);

export const DEFAULT_MODEL_CANDIDATES = [
  'models/kokoro/model_quantized.onnx',
  'models/kokoro/model.onnx',
  'models/synthetic/kokoro-synthetic.onnx',
];
export const SYNTHETIC_MODEL = 'models/synthetic/kokoro-synthetic.onnx';
export const STALL_MODEL = 'models/synthetic/kokoro-stall.onnx';

/** Whether a model path is the project's synthetic stand-in (tones, not speech). */
export function isSyntheticModel(modelPath: string): boolean {
  return modelPath.endsWith('kokoro-synthetic.onnx');
}

const SPEC = {
  // gateway
  port: { env: 'PORT', kind: 'int', min: 0, max: 65535, default: 8880 },
  host: { env: 'HOST', kind: 'string', default: '127.0.0.1' },
  logLevel: { env: 'LOG_LEVEL', kind: 'level', default: 'info' },
  apiKey: { env: 'KOKORO_API_KEY', kind: 'string' },
  maxConnections: { env: 'KOKORO_MAX_CONNECTIONS', kind: 'int', min: 1, default: 64 },
  wsMaxPayloadBytes: { env: 'KOKORO_WS_MAX_PAYLOAD_BYTES', kind: 'int', min: 1024, default: 65536 },
  wsPingIntervalMs: { env: 'KOKORO_WS_PING_INTERVAL_MS', kind: 'int', min: 100, default: 20000 },
  wsIdleTimeoutMs: { env: 'KOKORO_WS_IDLE_TIMEOUT_MS', kind: 'int', min: 100, default: 120000 },
  wsHighWaterBytes: { env: 'KOKORO_WS_HIGH_WATER_BYTES', kind: 'int', min: 1024, default: 1 << 20 },
  wsHardLimitBytes: { env: 'KOKORO_WS_HARD_LIMIT_BYTES', kind: 'int', min: 1024, default: 8 << 20 },
  wsSlowReaderGraceMs: { env: 'KOKORO_WS_SLOW_READER_GRACE_MS', kind: 'int', min: 0, default: 10000 },
  wsMessagesPerSecond: { env: 'KOKORO_WS_MESSAGES_PER_SECOND', kind: 'int', min: 1, default: 100 },
  wsMessageBurst: { env: 'KOKORO_WS_MESSAGE_BURST', kind: 'int', min: 1, default: 200 },
  // Speech text is charged by characters: far above any LLM (1,000 tokens/s is ~5,000 chars/s).
  wsTextCharsPerSecond: { env: 'KOKORO_WS_TEXT_CHARS_PER_SECOND', kind: 'int', min: 1, default: 20_000 },
  wsTextCharBurst: { env: 'KOKORO_WS_TEXT_CHAR_BURST', kind: 'int', min: 1, default: 40_000 },
  maxTurnChars: { env: 'KOKORO_MAX_TURN_CHARS', kind: 'int', min: 1, default: 20000 },
  maxInputChars: { env: 'KOKORO_MAX_INPUT_CHARS', kind: 'int', min: 1, default: 20000 },
  bodyLimitBytes: { env: 'KOKORO_BODY_LIMIT_BYTES', kind: 'int', min: 1024, default: 262144 },
  requestTimeoutMs: { env: 'KOKORO_REQUEST_TIMEOUT_MS', kind: 'int', min: 1000, default: 120000 },
  headersTimeoutMs: { env: 'KOKORO_HEADERS_TIMEOUT_MS', kind: 'int', min: 100, default: 10000 },
  shutdownGraceMs: { env: 'KOKORO_SHUTDOWN_GRACE_MS', kind: 'int', min: 0, default: 10000 },
  // Past this event-loop delay, HTTP synthesis answers 503 + Retry-After (matrix B22); 0 turns the check off.
  maxEventLoopDelayMs: { env: 'KOKORO_MAX_EVENT_LOOP_DELAY_MS', kind: 'int', min: 0, default: 1000 },
  // The playground page at GET / (src/gateway/web-route.ts, web/); 0 turns it off.
  web: { env: 'KOKORO_WEB', kind: 'bool', default: true },
  // model and workers
  modelPath: { env: 'KOKORO_MODEL', kind: 'string' },
  // npm start only (models/auto-fetch.ts): fetch the default genuine model when none is present.
  autoFetch: { env: 'KOKORO_AUTO_FETCH', kind: 'bool', default: true },
  workers: { env: 'KOKORO_WORKERS', kind: 'int', min: 1, max: 256 },
  threadsPerWorker: { env: 'KOKORO_THREADS_PER_WORKER', kind: 'int', min: 1, max: 256 },
  enableCpuMemArena: { env: 'KOKORO_CPU_MEM_ARENA', kind: 'bool', default: false },
  // onnxruntime (src/runtime/resolve.ts): auto, bundled, or a prepared runtime directory; and where auto looks.
  ort: { env: 'KOKORO_ORT', kind: 'string', default: 'auto' },
  ortDir: { env: 'KOKORO_ORT_DIR', kind: 'string' },
  // Word timing (README "Word timing"): durations from the model, words aligned per chunk; 0 skips both (no per-word G2P cost).
  wordTiming: { env: 'KOKORO_WORD_TIMING', kind: 'bool', default: true },
  // Where a model prepared to output durations is kept when the model's directory is read-only (workers/kokoro/durations-model.ts).
  modelCacheDir: { env: 'KOKORO_MODEL_CACHE_DIR', kind: 'string' },
  workerHeapMb: { env: 'KOKORO_WORKER_HEAP_MB', kind: 'int', min: 16, default: 512 },
  maxQueue: { env: 'KOKORO_MAX_QUEUE', kind: 'int', min: 1, default: 256 },
  queueTimeoutMs: { env: 'KOKORO_QUEUE_TIMEOUT_MS', kind: 'int', min: 1, default: 30000 },
  runTimeoutBaseMs: { env: 'KOKORO_RUN_TIMEOUT_BASE_MS', kind: 'int', min: 1, default: 5000 },
  runTimeoutPerTokenMs: { env: 'KOKORO_RUN_TIMEOUT_PER_TOKEN_MS', kind: 'number', min: 0, default: 40 },
  runTimeoutMaxMs: { env: 'KOKORO_RUN_TIMEOUT_MAX_MS', kind: 'int', min: 1, default: 60000 },
  chunkRetries: { env: 'KOKORO_CHUNK_RETRIES', kind: 'int', min: 0, max: 5, default: 1 },
  zombieGraceMs: { env: 'KOKORO_ZOMBIE_GRACE_MS', kind: 'int', min: 0, default: 5000 },
  exitOnStall: { env: 'KOKORO_EXIT_ON_STALL', kind: 'bool', default: false },
  rssCeilingMb: { env: 'KOKORO_RSS_CEILING_MB', kind: 'int', min: 64, default: 4096 },
  canaryIntervalMs: { env: 'KOKORO_CANARY_INTERVAL_MS', kind: 'int', min: 100, default: 15000 },
  canaryTimeoutMs: { env: 'KOKORO_CANARY_TIMEOUT_MS', kind: 'int', min: 100, default: 10000 },
  respawnBackoffMaxMs: { env: 'KOKORO_RESPAWN_BACKOFF_MAX_MS', kind: 'int', min: 10, default: 30000 },
  faultInjection: { env: 'KOKORO_FAULT_INJECTION', kind: 'bool', default: false },
  // pipeline
  maxInFlightPerTurn: { env: 'KOKORO_MAX_IN_FLIGHT_PER_TURN', kind: 'int', min: 1, default: 3 },
  // Chunk sizes from the measured cost curve (src/pipeline/chunk-sizer.ts); off: the chunker's fixed schedule.
  chunkSizing: { env: 'KOKORO_CHUNK_SIZING', kind: 'bool', default: true },
  firstChunkComputeMs: { env: 'KOKORO_FIRST_CHUNK_COMPUTE_MS', kind: 'int', min: 50, max: 10_000, default: 400 },
  // A look-ahead chunk yields to urgent ones (a turn's first) for at most this long (src/synth/fair-queue.ts).
  lookaheadSlackMs: { env: 'KOKORO_LOOKAHEAD_SLACK_MS', kind: 'int', min: 0, max: 60_000, default: 2000 },
  // Silence at joins (src/pipeline/join-silence.ts): only samples below the threshold are trimmed.
  joinTrim: { env: 'KOKORO_JOIN_TRIM', kind: 'bool', default: true },
  silenceThresholdDbfs: { env: 'KOKORO_SILENCE_THRESHOLD_DBFS', kind: 'number', min: -120, max: -20, default: -60 },
  firstLeadMs: { env: 'KOKORO_FIRST_LEAD_MS', kind: 'int', min: 0, max: 1000, default: 40 },
  gapSentenceMs: { env: 'KOKORO_GAP_SENTENCE_MS', kind: 'int', min: 0, max: 2000, default: 300 },
  gapClauseMs: { env: 'KOKORO_GAP_CLAUSE_MS', kind: 'int', min: 0, max: 2000, default: 110 },
  gapWordMs: { env: 'KOKORO_GAP_WORD_MS', kind: 'int', min: 0, max: 2000, default: 40 },
  drainSafetyMs: { env: 'KOKORO_DRAIN_SAFETY_MS', kind: 'int', min: 1000, default: 300000 },
  // pronunciation (src/pronunciation/lexicon.ts): word -> phonemes per language, reloaded on SIGHUP
  lexiconPath: { env: 'KOKORO_LEXICON', kind: 'string' },
  // router
  fallbackUrl: { env: 'KOKORO_FALLBACK_URL', kind: 'url' },
  fallbackApiKey: { env: 'KOKORO_FALLBACK_API_KEY', kind: 'string' },
  fallbackModel: { env: 'KOKORO_FALLBACK_MODEL', kind: 'string', default: 'tts-1' },
  fallbackTimeoutMs: { env: 'KOKORO_FALLBACK_TIMEOUT_MS', kind: 'int', min: 100, default: 15000 },
  breakerFailures: { env: 'KOKORO_BREAKER_FAILURES', kind: 'int', min: 1, default: 5 },
  breakerWindowMs: { env: 'KOKORO_BREAKER_WINDOW_MS', kind: 'int', min: 100, default: 30000 },
  breakerCooldownMs: { env: 'KOKORO_BREAKER_COOLDOWN_MS', kind: 'int', min: 100, default: 30000 },
} as const satisfies Record<string, OptionSpec>;

/** Every environment variable the host reads (test/unit/docs-catalogue.test.ts: each is in the README). */
export const CONFIG_ENV_KEYS: readonly string[] = Object.values(SPEC).map((s) => s.env);

type Spec = typeof SPEC;
type ValueOf<S extends { kind: Kind }> = S['kind'] extends 'int' | 'number' ? number : S['kind'] extends 'bool' ? boolean : string;
type Raw = {
  readonly [K in keyof Spec]: Spec[K] extends { default: unknown } ? ValueOf<Spec[K]> : ValueOf<Spec[K]> | undefined;
};

export interface Config extends Omit<Raw, 'modelPath'> {
  /** Absolute path of the model in use. */
  readonly modelPath: string;
  /** Absolute path of the stall model, when fault injection is on and it exists. */
  readonly stallModelPath: string | undefined;
  readonly rootDir: string;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `--name value` and `--name=value` pairs; a bare `--flag` is "1". */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) {
      flags.set(arg.slice(2), argv[++i]!);
    } else {
      flags.set(arg.slice(2), '1');
    }
  }
  return flags;
}

function parseValue(key: string, spec: OptionSpec, raw: string, problems: string[]): unknown {
  const name = `${spec.env} (--${flagName(key)})`;
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const n = spec.kind === 'int' ? (/^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN) : Number(raw);
      if (!Number.isFinite(n) || raw.trim() === '') {
        problems.push(`${name} must be ${spec.kind === 'int' ? 'an integer' : 'a number'}, got "${raw}"`);
        return undefined;
      }
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        const range = spec.max !== undefined ? `between ${spec.min} and ${spec.max}` : `at least ${spec.min}`;
        problems.push(`${name} must be ${range}, got ${n}`);
        return undefined;
      }
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      problems.push(`${name} must be 1/0 or true/false, got "${raw}"`);
      return undefined;
    }
    case 'url': {
      try {
        const url = new URL(raw);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
        return url.toString();
      } catch {
        problems.push(`${name} must be an http(s) URL, got "${raw}"`);
        return undefined;
      }
    }
    case 'level':
      if (!LEVELS.has(raw)) {
        problems.push(`${name} must be one of ${[...LEVELS].join(', ')}, got "${raw}"`);
        return undefined;
      }
      return raw;
    case 'string':
      return raw;
  }
}

/** Resolve the model: KOKORO_MODEL wins; otherwise the first default location that exists. */
export function resolveModelPath(explicit: string | undefined, rootDir: string = ROOT): string {
  if (explicit !== undefined && explicit !== '') {
    // resolve(), not a file: URL's pathname, which would turn a space into %20.
    return isAbsolute(explicit) ? explicit : resolve(process.cwd(), explicit);
  }
  for (const candidate of DEFAULT_MODEL_CANDIDATES) {
    const abs = `${rootDir}${candidate}`;
    if (existsSync(abs)) return abs;
  }
  return `${rootDir}${DEFAULT_MODEL_CANDIDATES[0]}`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv.slice(2)): Config {
  const flags = parseFlags(argv);
  const known = new Set(Object.keys(SPEC).map(flagName));
  const problems: string[] = [];
  for (const flag of flags.keys()) {
    if (!known.has(flag)) problems.push(`unknown flag --${flag}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SPEC) as [string, OptionSpec][]) {
    const raw = flags.get(flagName(key)) ?? env[spec.env];
    out[key] = raw === undefined ? spec.default : parseValue(key, spec, raw, problems);
  }
  if ((out.wsHardLimitBytes as number) < (out.wsHighWaterBytes as number)) {
    problems.push('KOKORO_WS_HARD_LIMIT_BYTES must be at least KOKORO_WS_HIGH_WATER_BYTES');
  }
  if ((out.runTimeoutMaxMs as number) < (out.runTimeoutBaseMs as number)) {
    problems.push('KOKORO_RUN_TIMEOUT_MAX_MS must be at least KOKORO_RUN_TIMEOUT_BASE_MS');
  }
  const ort = out.ort as string;
  if (ort !== 'auto' && ort !== 'bundled' && !existsSync(ort)) {
    problems.push(`KOKORO_ORT (--ort) must be auto, bundled or the directory of a prepared runtime (npm run runtime:fetch), got "${ort}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const modelPath = resolveModelPath(out.modelPath as string | undefined);
  const stall = `${ROOT}${STALL_MODEL}`;
  return Object.freeze({
    ...(out as unknown as Raw),
    modelPath,
    ort: ort === 'auto' || ort === 'bundled' ? ort : resolve(ort),
    ortDir: out.ortDir === undefined || out.ortDir === '' ? undefined : resolve(out.ortDir as string),
    modelCacheDir: out.modelCacheDir === undefined || out.modelCacheDir === '' ? undefined : resolve(out.modelCacheDir as string),
    stallModelPath: out.faultInjection === true && existsSync(stall) ? stall : undefined,
    rootDir: ROOT,
  });
}

/** A complete config for tests and benches: defaults, then the given overrides. */
export function testConfig(overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const base = loadConfig({}, []);
  return Object.freeze({ ...base, ...overrides } as Config);
}
