import texts from '../texts.json' with { type: 'json' };
import { phonemize } from '../../workers/kokoro/phonemize.ts';
import { phonemesToIds, frameIds } from '../../workers/kokoro/tokenizer.ts';
import { openSession } from '../../workers/kokoro/session.ts';
const all = [...texts.short, ...texts.medium, ...texts.long];
await phonemize('warm up', 'af_heart');
const t0 = performance.now();
const ids = [];
for (const t of all) { const p = await phonemize(t, 'af_heart'); ids.push(phonemesToIds(p)); }
console.log('phonemize ms/call', (performance.now()-t0)/all.length, ids.map(i=>i.length).join(','));
for (const th of [1,2]) {
const s = await openSession('models/synthetic/kokoro-synthetic.onnx', { intraOpThreads: th, enableCpuMemArena: false });
await s.run(frameIds(ids[0]!), new Float32Array(256), 1);
const t1 = performance.now(); let samples = 0;
for (const i of ids) samples += (await s.run(frameIds(i), new Float32Array(256), 1)).length;
const ms = performance.now()-t1;
console.log('threads', th, 'run ms', ms, 'audio s', samples/24000, 'x rt', samples/24000/(ms/1000));
}
