/**
 * KOKORO_LEXICON on the real host process: a bad file stops the start with invalid_lexicon
 * (exit 2); SIGHUP re-reads the file (log line "lexicon reloaded") and the new entries
 * apply at once; a bad file on SIGHUP keeps the old lexicon, with a warning.
 * Observed through POST /v1/phonemize, which reads with the lexicon.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { HostProcess } from '../../harness/host-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'lexicon-sighup-'));
const path = join(dir, 'lexicon.json');

async function phonemes(host: HostProcess, text: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${host.port}/v1/phonemize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  return ((await res.json()) as { phonemes: string }).phonemes;
}

t.test('a bad lexicon file: the host does not start, exit 2 with the code', async (t) => {
  writeFileSync(path, '{ "a": { "Kokoro": "§" } }');
  const host = HostProcess.spawn({ env: { KOKORO_LEXICON: path } });
  t.teardown(() => host.kill('SIGKILL'));
  const status = await host.exited;
  t.equal(status.code, 2);
  t.match(host.stderr.join('\n'), /invalid_lexicon/);
});

t.test('SIGHUP reloads; a bad file keeps the old lexicon', async (t) => {
  writeFileSync(path, JSON.stringify({ a: { Kokoro: 'kˈOkəɹO' } }));
  const host = await HostProcess.start({ env: { KOKORO_LEXICON: path } });
  t.teardown(() => host.kill('SIGKILL'));
  t.equal(await phonemes(host, 'Kokoro'), 'kˈOkəɹO');

  writeFileSync(path, JSON.stringify({ a: { Kokoro: 'kəkˈɔɹO' } }));
  const reloaded = host.nextLine((l) => l.msg === 'lexicon reloaded', 10_000);
  host.kill('SIGHUP');
  t.match(await reloaded, { entries: 1 });
  t.equal(await phonemes(host, 'Kokoro'), 'kəkˈɔɹO', 'the new entry applies');

  writeFileSync(path, '{ broken');
  const kept = host.nextLine((l) => l.msg === 'lexicon not reloaded: keeping the old one', 10_000);
  host.kill('SIGHUP');
  t.match(await kept, { code: 'invalid_lexicon', level: 40 });
  t.equal(await phonemes(host, 'Kokoro'), 'kəkˈɔɹO', 'the old lexicon stays');
  t.ok(host.running, 'SIGHUP never stops the host');
});
