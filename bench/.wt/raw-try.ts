import { runRaw } from '../raw.ts';
import { mixedTexts, tokenize } from '../lib/texts.ts';
import { plansFor } from '../lib/plans.ts';
const tok = await tokenize(mixedTexts());
console.log(tok.inputs.length, tok.tokens, tok.phonemizeMsPerCall);
const r = await runRaw({ modelPath: 'models/synthetic/kokoro-synthetic.onnx', plans: plansFor(2), inputs: tok.inputs, durationMs: 4000, maxRunsPerWorker: 100000, loadTimeoutMs: 60000 }, tok.tokens, tok.phonemizeMsPerCall);
console.log(JSON.stringify(r, null, 1));
