import { Child, freePort, waitHttpOk, killAllChildren } from '../lib/child.ts';
import { WsConn } from '../lib/ws-client.ts';
import { postStream } from '../lib/http-client.ts';
import { TEXTS } from '../lib/texts.ts';
const port = await freePort();
const child = new Child('host', ['bench/.wt/dist/src/server.js'], { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'debug', KOKORO_MODEL: process.cwd() + '/models/synthetic/kokoro-synthetic.onnx' }, process.cwd());
try {
await waitHttpOk(`http://127.0.0.1:${port}/readyz`, child, 60000);
const conn = await WsConn.open(`ws://127.0.0.1:${port}/v1/tts/ws`);
for (const kind of ['short', 'medium', 'long'] as const) {
  let ws = 0, http = 0, wsA = 0, httpA = 0;
  for (const [i, text] of TEXTS[kind].entries()) {
    const r = await conn.speak(`${kind}${i}`, text); ws += r.endMs; wsA += r.samples;
    const h = await postStream(`http://127.0.0.1:${port}/v1/audio/speech`, { model: 'kokoro', input: text, voice: 'af_heart', response_format: 'pcm' }, { timeoutMs: 60000 }); http += h.totalMs; httpA += h.bytes / 2;
  }
  console.log(kind, 'ws ms', ws.toFixed(0), 'audio s', (wsA/24000).toFixed(1), 'http ms', http.toFixed(0), 'audio s', (httpA/24000).toFixed(1));
}
await conn.close();
const lines: string[] = [];
} finally { killAllChildren(); }
