import WebSocket from 'ws';
import { Child, freePort, waitHttpOk, killAllChildren } from '../lib/child.ts';
import { mixedTexts } from '../lib/texts.ts';
const port = await freePort();
const child = new Child('host', ['bench/.wt/dist/src/server.js'], { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', KOKORO_MODEL: process.cwd() + '/models/synthetic/kokoro-synthetic.onnx' }, process.cwd());
try {
await waitHttpOk(`http://127.0.0.1:${port}/readyz`, child, 60000);
const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/tts/ws`);
await new Promise((r) => ws.once('message', r));
const texts = mixedTexts().slice(0, 4);
for (const [i, text] of texts.entries()) {
  const t0 = performance.now();
  ws.send(JSON.stringify({ type: 'speak', text, turn_id: 't' + i }));
  await new Promise<void>((resolve) => {
    const on = (d: Buffer, bin: boolean) => {
      const t = (performance.now() - t0).toFixed(0);
      if (bin) { console.log(t, 'binary', d.length); return; }
      const m = JSON.parse(d.toString());
      console.log(t, m.type, m.index ?? '', m.synth_ms ?? '', m.queue_ms ?? '', m.type === 'tts_done' ? JSON.stringify(m) : (m.text ?? '').slice(0, 40));
      if (m.type === 'tts_done') { ws.off('message', on); resolve(); }
    };
    ws.on('message', on);
  });
}
ws.close();
} finally { killAllChildren(); }
