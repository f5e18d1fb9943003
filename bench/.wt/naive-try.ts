import { runNaive } from '../naive.ts';
import { mixedTexts } from '../lib/texts.ts';
import { killAllChildren } from '../lib/child.ts';
try {
const r = await runNaive({ modelPath: 'models/synthetic/kokoro-synthetic.onnx', threads: 2, concurrency: 4, warmupMs: 1000, durationMs: 6000, drainMs: 10000, texts: mixedTexts(), root: process.cwd() });
console.log(JSON.stringify(r, null, 1));
} finally { killAllChildren(); }
