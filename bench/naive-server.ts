/**
 * The seed's failure mode, rebuilt for comparison (/work/shared/seeds/000_*): a plain
 * node:http server that phonemizes and runs the model on its MAIN thread. onnxruntime-node
 * runs a session synchronously inside the run() promise, so while a chunk is synthesized
 * nothing else on this process moves, liveness probes included.
 *
 *   env NAIVE_PORT, NAIVE_MODEL, NAIVE_THREADS
 *   GET /healthz  200 {status:'ok'}         (liveness: answers only when the loop is free)
 *   GET /readyz   200 once the model is loaded
 *   POST /speak   {text} -> pcm_s16le 24 kHz, streamed sentence by sentence
 *
 * Logs one JSON line when listening. Not part of the product: the bench starts it as a
 * child process bound to 127.0.0.1 and kills it afterwards.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { phonemize } from '../workers/kokoro/phonemize.ts';
import { openSession } from '../workers/kokoro/session.ts';
import { MAX_PHONEME_TOKENS, frameIds, phonemesToIds } from '../workers/kokoro/tokenizer.ts';
import { VOICE, sentences } from './lib/texts.ts';

const port = Number(process.env.NAIVE_PORT ?? 0);
const session = await openSession(process.env.NAIVE_MODEL ?? '', {
  intraOpThreads: Number(process.env.NAIVE_THREADS ?? 1),
  enableCpuMemArena: false,
});
const style = new Float32Array(256).fill(0.01);
const MAX_BODY = 64 * 1024;

function toS16(pcm: Float32Array): Buffer {
  const out = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, pcm[i]!)) * 32767), i * 2);
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

async function speak(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { text } = JSON.parse(await readBody(req)) as { text?: unknown };
  if (typeof text !== 'string' || text.trim() === '') {
    res.writeHead(400).end('text required');
    return;
  }
  // Streamed a sentence at a time, like the host's HTTP route, so first-audio and
  // throughput figures compare like with like.
  res.writeHead(200, { 'content-type': 'audio/pcm' });
  for (const sentence of sentences(text)) {
    const ids = phonemesToIds(await phonemize(sentence, VOICE)).slice(0, MAX_PHONEME_TOKENS);
    if (ids.length > 0) res.write(toS16((await session.run(frameIds(ids), style, 1)).audio));
  }
  res.end();
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  } else if (req.method === 'POST' && req.url === '/speak') {
    speak(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  } else {
    res.writeHead(404).end();
  }
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'naive listening', port: typeof address === 'object' && address !== null ? address.port : port })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void session.release().finally(() => process.exit(0));
});
