/**
 * What each language's G2P adds to a worker thread on first use, and what a call costs.
 *
 *   node --expose-gc --import tsx bench/g2p-memory.ts [--json]   (--expose-gc is a process-wide V8 flag: the workers get gc() too)
 *
 * Each language runs in a fresh worker thread (as the pool's workers are), which first loads
 * what every worker has (kokoro-js's English phonemizer, via workers/kokoro/phonemize.ts) and
 * phonemizes one English sentence; then memory is read (process RSS; this thread's V8 heap and
 * external memory), the language's first sentence is phonemized (its data loads now), memory is
 * read again after a GC, and a second sentence is timed. RSS is the process's: other threads
 * are idle meanwhile. Nothing is judged: figures are printed (--json: one JSON line at the end).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startWorker } from './lib/ts-worker.ts';
import type { Language } from '../src/shared/languages.ts';

const SENTENCES: Record<Exclude<Language, 'en-us' | 'en-gb'>, [string, string]> = {
  es: ['El perro come carne en la cocina.', 'Mañana iremos a la playa con mis amigos.'],
  fr: ['Le chat dort sur le canapé du salon.', 'Demain nous irons au marché avec mes amis.'],
  hi: ['बिल्ली रसोई में दूध पी रही है।', 'कल हम अपने दोस्तों के साथ बाज़ार जाएंगे।'],
  it: ['Il gatto dorme sul divano del salotto.', 'Domani andremo al mercato con i miei amici.'],
  'pt-br': ['O gato dorme no sofá da sala.', 'Amanhã iremos ao mercado com os meus amigos.'],
  ja: ['猫は居間のソファで寝ています。', '明日、友達と一緒に市場へ行きます。'],
  zh: ['猫在客厅的沙发上睡觉。', '明天我们和朋友一起去市场。'],
};

interface Row {
  lang: string;
  rssMb: number;
  heapMb: number;
  externalMb: number;
  firstCallMs: number;
  nextCallMs: number;
}

const mb = (n: number) => Math.round((n / 1e6) * 10) / 10;

async function measure(lang: Exclude<Language, 'en-us' | 'en-gb'>): Promise<Row> {
  const { phonemizeIn } = await import('../workers/kokoro/phonemize.ts');
  await phonemizeIn('Every worker speaks English first.', 'en-us');
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  let t0 = performance.now();
  await phonemizeIn(SENTENCES[lang][0], lang);
  const firstCallMs = performance.now() - t0;
  gc?.();
  const after = process.memoryUsage();
  t0 = performance.now();
  await phonemizeIn(SENTENCES[lang][1], lang);
  const nextCallMs = performance.now() - t0;
  return { lang, rssMb: mb(after.rss - before.rss), heapMb: mb(after.heapUsed - before.heapUsed), externalMb: mb(after.external - before.external), firstCallMs: Math.round(firstCallMs), nextCallMs: Math.round(nextCallMs) };
}

if (!isMainThread) {
  parentPort!.postMessage(await measure(workerData as Exclude<Language, 'en-us' | 'en-gb'>));
} else {
  const rows: Row[] = [];
  for (const lang of Object.keys(SENTENCES) as Array<Exclude<Language, 'en-us' | 'en-gb'>>) {
    const worker = startWorker(new URL(import.meta.url), { workerData: lang });
    const row = await new Promise<Row>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    rows.push(row);
    if (!process.argv.includes('--json')) console.log(`${row.lang.padEnd(6)} +RSS ${String(row.rssMb).padStart(6)} MB  +heap ${String(row.heapMb).padStart(6)} MB  +external ${String(row.externalMb).padStart(6)} MB  first call ${row.firstCallMs} ms, next ${row.nextCallMs} ms`);
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
}
