/**
 * `npm start`'s first step (prestart): on a machine with no Kokoro weights, fetch the default
 * genuine model (q8) before serving, with model:fetch's progress bar, resume and checksum.
 *
 * It never stops the host from starting: offline, the download fails within seconds
 * (fetch-download.ts's connect deadline), a warning says so, and the host serves the
 * synthetic model (its own start-up warning and the playground's banner say so again).
 * Nothing is fetched when KOKORO_AUTO_FETCH=0, when KOKORO_MODEL names a model, or when a
 * genuine model is already in place. Arguments are model:fetch's (`--dest DIR`, `--dtype`).
 * Tests never run it: they start the host directly with KOKORO_MODEL set.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.ts';
import { FetchError } from './fetch-download.ts';
import { fetchModel, MODEL_FILES, parseFetchArgs } from './fetch.ts';

export type AutoFetchPlan = { fetch: false; why: string } | { fetch: true };

/** Whether `npm start` should download the model, and if not, why not. */
export function autoFetchPlan(env: NodeJS.ProcessEnv, argv: string[]): AutoFetchPlan {
  let config;
  try {
    config = loadConfig(env, []);
  } catch (err) {
    // The host reports a bad configuration itself (exit 2) with one message per value.
    if (err instanceof ConfigError) return { fetch: false, why: 'the configuration is invalid (the host will say why)' };
    throw err;
  }
  if (!config.autoFetch) return { fetch: false, why: 'KOKORO_AUTO_FETCH=0' };
  if (env.KOKORO_MODEL !== undefined && env.KOKORO_MODEL !== '') return { fetch: false, why: 'KOKORO_MODEL is set' };
  const dir = dirname(parseFetchArgs(argv, env).dest);
  const present = Object.values(MODEL_FILES).find((file) => existsSync(`${dir}/${file}`));
  if (present !== undefined) return { fetch: false, why: `${dir}/${present} is present` };
  return { fetch: true };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let plan: AutoFetchPlan;
  try {
    plan = autoFetchPlan(process.env, argv);
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    console.error(`model:auto-fetch: ${err.message} [${err.code}]`);
    return err.exitCode;
  }
  if (!plan.fetch) return 0;
  console.log('npm start: no Kokoro model here yet; fetching the default one first (KOKORO_AUTO_FETCH=0 skips this)');
  const status = await fetchModel(argv, process.env);
  if (status !== 0) {
    console.warn('WARNING: the Kokoro model could not be fetched; the host serves the SYNTHETIC model (tones, not speech). Run `npm run model:fetch` when online.');
  }
  // Never block the start: the host serves whatever model it finds.
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
