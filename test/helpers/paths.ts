/** Where tests find the project and the synthetic models (`npm run model:synthetic` writes them). */
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SYNTHETIC_MODEL = `${ROOT}models/synthetic/kokoro-synthetic.onnx`;
export const STALL_MODEL = `${ROOT}models/synthetic/kokoro-stall.onnx`;
