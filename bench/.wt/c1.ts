import { Host } from '../lib/host.ts';
import { measureLevel, warmUp, describeLevel } from '../host.ts';
import { mixedTexts } from '../lib/texts.ts';
import { killAllChildren } from '../lib/child.ts';
const host = await Host.start({ root: process.cwd(), entry: process.cwd() + '/bench/.wt/dist/src/server.js', modelPath: process.cwd() + '/models/synthetic/kokoro-synthetic.onnx', readyTimeoutMs: 60000 });
try {
  await warmUp(host, mixedTexts(), 2000);
  const opts = { warmupMs: 500, durationMs: 3000, drainMs: 3000, texts: mixedTexts() };
  for (const t of ['ws', 'http', 'ws', 'http', 'ws'] as const) {
    const r = await measureLevel(host, t, 1, opts, 'x' + Math.random());
    console.log(t, describeLevel(r), 'turn p50', r.turn_ms.p50);
  }
} finally { await host.stop(); killAllChildren(); }
