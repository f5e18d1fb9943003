import WebSocket from 'ws';
import { Child, freePort, waitHttpOk, killAllChildren } from '../lib/child.ts';
import { postStream } from '../lib/http-client.ts';
const port = await freePort();
const child = new Child('host', ['bench/.wt/dist/src/server.js'], { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', KOKORO_MODEL: process.cwd() + '/models/synthetic/kokoro-synthetic.onnx' }, process.cwd());
try {
await waitHttpOk(`http://127.0.0.1:${port}/readyz`, child, 60000);
const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/tts/ws`);
await new Promise((r) => ws.once('message', r));
for (let i = 0; i < 8; i++) {
  const t0 = performance.now();
  ws.send(JSON.stringify({ type: 'speak', text: 'Your order has shipped.', turn_id: 't' + i }));
  const out: string[] = [];
  await new Promise<void>((resolve) => {
    const on = (d: Buffer, bin: boolean) => {
      const t = (performance.now() - t0).toFixed(1);
      if (bin) { out.push(`${t} bin`); return; }
      const m = JSON.parse(d.toString());
      out.push(`${t} ${m.type} synth=${m.synth_ms ?? ''} q=${m.queue_ms ?? ''} fa=${m.first_audio_ms ?? ''}`);
      if (m.type === 'tts_done') { ws.off('message', on); resolve(); }
    };
    ws.on('message', on);
  });
  const h = await postStream(`http://127.0.0.1:${port}/v1/audio/speech`, { model: 'kokoro', input: 'Your order has shipped.', voice: 'af_heart', response_format: 'pcm' }, { timeoutMs: 60000 });
  console.log(out.join(' | '), '|| http ttfb', h.ttfbMs.toFixed(1), 'total', h.totalMs.toFixed(1));
}
ws.close();
} finally { killAllChildren(); }
