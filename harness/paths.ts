/** Where tests find the project and the synthetic models (`npm run model:synthetic` writes them). */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const SYNTHETIC_MODEL = `${ROOT}models/synthetic/kokoro-synthetic.onnx`;
export const STALL_MODEL = `${ROOT}models/synthetic/kokoro-stall.onnx`;

/** The genuine Kokoro weights CI places beside the project (read-only); tests that need them skip, with this reason, when absent. */
export const GENUINE_MODEL = fileURLToPath(new URL('../../shared/models/kokoro-82m-v1.0-int8.onnx', import.meta.url));
export const NO_GENUINE_MODEL: string | false = existsSync(GENUINE_MODEL) ? false : `no genuine Kokoro model at ${GENUINE_MODEL}: NOT checked`;
