/**
 * npm run model:fetch [-- --dtype q8|fp32|fp16|q4|q4f16|uint8|uint8f16] [--dest DIR] [--force] [--sha256 HEX]
 *
 * Downloads one Kokoro-82M v1.0 ONNX export from the Hugging Face Hub into models/kokoro/,
 * resumably and verified (fetch-download.ts). KOKORO_MODEL_BASE_URL replaces the Hub's
 * `https://huggingface.co/onnx-community/Kokoro-82M-v1.0-ONNX/resolve/main` (a mirror, or
 * tests). Exit status: 0 done, 1 failed, 2 no network (fetch it by hand), 64 bad usage.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FetchError, download, sha256File } from './fetch-download.ts';
import { progressReporter } from './fetch-progress.ts';

export const DEFAULT_BASE_URL = 'https://huggingface.co/onnx-community/Kokoro-82M-v1.0-ONNX/resolve/main';

/** The Hub's file for each dtype; q8 is what kokoro-js loads by default. */
export const MODEL_FILES = {
  q8: 'model_quantized.onnx',
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
  uint8: 'model_uint8.onnx',
  uint8f16: 'model_uint8f16.onnx',
} as const;
export type Dtype = keyof typeof MODEL_FILES;

/** models/kokoro/ beside this file, from the source tree and from dist/ alike. */
export const DEFAULT_DEST = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../models/kokoro/' : './kokoro/', import.meta.url));

const USAGE = `usage: npm run model:fetch [-- --dtype ${Object.keys(MODEL_FILES).join('|')}] [--dest DIR] [--force] [--sha256 HEX]`;

export interface FetchArgs {
  dtype: Dtype;
  file: string;
  url: string;
  dest: string;
  force: boolean;
  sha256: string | undefined;
}

const isDtype = (v: string): v is Dtype => Object.hasOwn(MODEL_FILES, v);

export function parseFetchArgs(argv: string[], env: NodeJS.ProcessEnv): FetchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dtype: { type: 'string', default: 'q8' },
        dest: { type: 'string', default: DEFAULT_DEST },
        force: { type: 'boolean', default: false },
        sha256: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new FetchError('bad_argument', `${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  const { dtype } = values;
  if (!isDtype(dtype)) throw new FetchError('bad_argument', `--dtype must be one of ${Object.keys(MODEL_FILES).join(', ')}\n${USAGE}`);
  const sha256 = values.sha256?.toLowerCase();
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new FetchError('bad_argument', '--sha256 must be 64 hexadecimal digits');
  const base = (env.KOKORO_MODEL_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const file = MODEL_FILES[dtype];
  try {
    new URL(base);
  } catch {
    throw new FetchError('bad_argument', `KOKORO_MODEL_BASE_URL is not a URL: ${base}`);
  }
  return { dtype, file, url: `${base}/onnx/${file}`, dest: join(resolve(values.dest), file), force: values.force, sha256 };
}

/** What to do by hand when this machine cannot download the file. */
export function manualSteps(args: FetchArgs): string {
  return [
    'Download this file on a machine with internet access:',
    `  ${args.url}`,
    'and place it at:',
    `  ${args.dest}`,
    `or put it anywhere and start the host with KOKORO_MODEL=/path/to/${args.file}`,
  ].join('\n');
}

/** The whole command; resolves with its exit status (models/auto-fetch.ts calls it too). */
export async function fetchModel(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: FetchArgs | undefined;
  try {
    args = parseFetchArgs(argv, env);
    if (args.force) rmSync(args.dest, { force: true });
    else if (existsSync(args.dest)) {
      if (args.sha256 !== undefined && (await sha256File(args.dest)) !== args.sha256) {
        throw new FetchError('checksum_mismatch', `${args.dest} exists but its SHA-256 is not ${args.sha256}; rerun with --force`);
      }
      console.log(`${args.dest} is already present (--force downloads it again)`);
      return 0;
    }
    console.log(`fetching ${args.url}`);
    const progress = progressReporter(process.stdout, args.file);
    const done = await download({ url: args.url, dest: args.dest, sha256: args.sha256, onProgress: progress.update }).finally(
      () => progress.finish(),
    );
    const resumed = done.resumedFrom > 0 ? `, resumed at ${done.resumedFrom} bytes` : '';
    console.log(`saved ${done.path} (${done.bytes} bytes${resumed})`);
    if (done.verifiedBy === 'none') console.warn(`warning: no checksum to compare with; its SHA-256 is ${done.sha256}`);
    else console.log(`sha256 ${done.sha256} verified (from the ${done.verifiedBy === 'flag' ? '--sha256 flag' : 'server'})`);
    return 0;
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    console.error(`model:fetch: ${err.message} [${err.code}]`);
    if (args !== undefined && (err.code === 'unreachable' || err.code === 'interrupted' || err.code === 'http_status')) {
      console.error(manualSteps(args));
      if (existsSync(`${args.dest}.part`)) console.error(`The partial download ${args.dest}.part is kept: run this again to resume.`);
    }
    return err.exitCode;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await fetchModel();
}
