import { runSoak } from '../soak.ts';
import { Host } from '../lib/host.ts';
import { soakTexts } from '../lib/texts.ts';
import { killAllChildren } from '../lib/child.ts';
const host = await Host.start({ root: process.cwd(), entry: process.cwd() + '/bench/.wt/dist/src/server.js', modelPath: process.cwd() + '/models/synthetic/kokoro-synthetic.onnx', readyTimeoutMs: 60000 });
try {
  const r = await runSoak(host, { turns: Number(process.argv[2] ?? 200), connections: 8, timeBoundMs: 120000, turnBoundMs: 60000, warmupTurns: 50, texts: soakTexts() });
  console.log(JSON.stringify(r, null, 1));
} finally { await host.stop(); killAllChildren(); }
