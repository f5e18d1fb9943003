import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FetchError, download, sha256FromEtag } from '../../models/fetch-download.ts';
import { DEFAULT_BASE_URL, parseFetchArgs } from '../../models/fetch.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const FILE = 'model_quantized.onnx';
const BODY = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
const SHA = createHash('sha256').update(BODY).digest('hex');
const WRONG_SHA = 'f'.repeat(64);
/** The 'drop' route closes the connection after this many body bytes. */
const DROP_AFTER = 50_000;

/** Every request the server saw: path and Range header. */
const seen: { path: string; range: string | undefined }[] = [];

/** Serves BODY, honouring `Range: bytes=K-`; an empty etag sends none. */
function serveBody(req: IncomingMessage, res: ServerResponse, etag: string, honourRange = true): void {
  const tag = etag === '' ? {} : { etag: `"${etag}"` };
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (match !== null && honourRange) {
    const start = Number(match[1]);
    if (start >= BODY.length) {
      res.writeHead(416, { ...tag, 'content-range': `bytes */${BODY.length}` }).end();
      return;
    }
    res.writeHead(206, { ...tag, 'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}`, 'content-length': BODY.length - start });
    res.end(BODY.subarray(start));
    return;
  }
  res.writeHead(200, { ...tag, 'content-length': BODY.length }).end(BODY);
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  good: (req, res) => serveBody(req, res, SHA),
  norange: (req, res) => serveBody(req, res, SHA, false),
  plain: (req, res) => serveBody(req, res, ''),
  bad: (req, res) => serveBody(req, res, WRONG_SHA),
  // The Hub's shape: the resolve URL redirects to a CDN whose ETag is not the file's SHA-256.
  hub: (_req, res) => res.writeHead(302, { location: '/cdn/blob', 'x-linked-etag': `"${SHA}"`, etag: '"abc"' }).end(),
  cdn: (req, res) => serveBody(req, res, WRONG_SHA),
  missing: (_req, res) => res.writeHead(404).end('not found'),
  // Headers promise the whole file, then the connection drops halfway.
  drop: (_req, res) => {
    res.writeHead(200, { etag: `"${SHA}"`, 'content-length': BODY.length });
    res.write(BODY.subarray(0, DROP_AFTER), () => res.destroy());
  },
  silent: () => undefined,
};

const server = createServer((req, res) => {
  const path = req.url ?? '';
  seen.push({ path, range: req.headers.range });
  const route = routes[path.split('/')[1] ?? ''];
  if (route === undefined) res.writeHead(404).end();
  else route(req, res);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
t.teardown(() => {
  server.closeAllConnections();
  server.close();
});
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function tempDest(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'model-fetch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, FILE);
}

const urlFor = (route: string) => `${base}/${route}/onnx/${FILE}`;

t.test('a fresh download verified against the server ETag', async (t) => {
  const dest = tempDest(t);
  const progress: number[] = [];
  const done = await download({ url: urlFor('good'), dest, onProgress: (p) => progress.push(p.received) });
  t.ok(readFileSync(dest).equals(BODY), 'the right bytes');
  t.same(done, { path: dest, bytes: BODY.length, sha256: SHA, verifiedBy: 'server', resumedFrom: 0 });
  t.notOk(existsSync(`${dest}.part`), 'no .part left');
  t.equal(progress.at(-1), BODY.length, 'progress reaches the whole file');
});

t.test('a .part left by an earlier run is resumed with a Range request', async (t) => {
  const dest = tempDest(t);
  writeFileSync(`${dest}.part`, BODY.subarray(0, 123_456));
  const from = seen.length;
  const done = await download({ url: urlFor('good'), dest });
  t.same(seen.slice(from), [{ path: `/good/onnx/${FILE}`, range: 'bytes=123456-' }]);
  t.equal(done.resumedFrom, 123_456);
  t.ok(readFileSync(dest).equals(BODY));
});

t.test('a server that ignores Range gets the whole file again', async (t) => {
  const dest = tempDest(t);
  writeFileSync(`${dest}.part`, BODY.subarray(0, 1000));
  const done = await download({ url: urlFor('norange'), dest });
  t.equal(done.resumedFrom, 0);
  t.ok(readFileSync(dest).equals(BODY), 'not the old part plus the whole file');
});

t.test('a complete .part (416) is verified and renamed', async (t) => {
  const dest = tempDest(t);
  writeFileSync(`${dest}.part`, BODY);
  const done = await download({ url: urlFor('good'), dest });
  t.equal(done.verifiedBy, 'server');
  t.ok(readFileSync(dest).equals(BODY));
});

t.test('a complete .part with no checksum to judge it by is fetched afresh', async (t) => {
  const dest = tempDest(t);
  writeFileSync(`${dest}.part`, Buffer.concat([BODY, Buffer.from('stale tail')]));
  const from = seen.length;
  const done = await download({ url: urlFor('plain'), dest });
  t.same(
    seen.slice(from).map((r) => r.range),
    [`bytes=${BODY.length + 10}-`, undefined],
  );
  t.equal(done.verifiedBy, 'none');
  t.ok(readFileSync(dest).equals(BODY));
});

t.test('a broken-off download keeps every byte it received, and the next run finishes it', async (t) => {
  // The loss this guards against was a race between the break and the queued file writes,
  // so the break is repeated until a lost write would have shown (one try in eight was enough).
  for (let i = 0; i < 20; i++) {
    const dest = tempDest(t);
    let received = 0;
    await t.rejects(download({ url: urlFor('drop'), dest, onProgress: (p) => (received = p.received) }), { code: 'interrupted', exitCode: 2 });
    const kept = readFileSync(`${dest}.part`);
    if (received !== DROP_AFTER || kept.length !== received) {
      t.fail(`try ${i}: the server sent ${DROP_AFTER} bytes, the client received ${received}, the .part holds ${kept.length}`);
      return;
    }
  }
  t.pass('20 broken-off downloads kept all 50,000 bytes they received');
  const dest = tempDest(t);
  await t.rejects(download({ url: urlFor('drop'), dest }), { code: 'interrupted' });
  const kept = readFileSync(`${dest}.part`);
  t.ok(kept.equals(BODY.subarray(0, DROP_AFTER)), 'the kept bytes are the right ones');
  const from = seen.length;
  await download({ url: urlFor('good'), dest });
  t.equal(seen[from]?.range, `bytes=${kept.length}-`);
  t.ok(readFileSync(dest).equals(BODY));
});

t.test('a wrong checksum deletes the .part and leaves no file', async (t) => {
  const dest = tempDest(t);
  await t.rejects(download({ url: urlFor('bad'), dest }), { code: 'checksum_mismatch', exitCode: 1 });
  t.notOk(existsSync(dest));
  t.notOk(existsSync(`${dest}.part`));
});

t.test('the --sha256 value wins over the server ETag', async (t) => {
  const dest = tempDest(t);
  await t.rejects(download({ url: urlFor('good'), dest, sha256: WRONG_SHA }), { code: 'checksum_mismatch' });
  t.notOk(existsSync(dest));
  const done = await download({ url: urlFor('bad'), dest, sha256: SHA });
  t.equal(done.verifiedBy, 'flag');
});

t.test('redirects are followed; the checksum comes from the first hop x-linked-etag', async (t) => {
  const dest = tempDest(t);
  const done = await download({ url: urlFor('hub'), dest });
  t.equal(done.verifiedBy, 'server');
  t.ok(readFileSync(dest).equals(BODY));
});

t.test('HTTP errors and silent servers fail with their codes', async (t) => {
  const dest = tempDest(t);
  await t.rejects(download({ url: urlFor('missing'), dest }), { code: 'http_status', exitCode: 1 });
  await t.rejects(download({ url: urlFor('silent'), dest, idleTimeoutMs: 200 }), { code: 'interrupted' });
  await t.rejects(download({ url: 'http://127.0.0.1:1/x.onnx', dest }), { code: 'unreachable', exitCode: 2 });
  t.notOk(existsSync(dest));
});

t.test('only a SHA-256 ETag counts as a checksum', async (t) => {
  t.equal(sha256FromEtag(`"${SHA.toUpperCase()}"`), SHA);
  t.equal(sha256FromEtag(`W/"${SHA}"`), SHA);
  t.equal(sha256FromEtag('"a1b2c3"'), undefined, 'a git blob id is not one');
  t.equal(sha256FromEtag(undefined), undefined);
});

t.test('command-line arguments', async (t) => {
  const args = parseFetchArgs([], {});
  t.equal(args.url, `${DEFAULT_BASE_URL}/onnx/${FILE}`);
  t.equal(args.dest, join(ROOT, 'models/kokoro', FILE));
  const fp16 = parseFetchArgs(['--dtype', 'fp16', '--dest', '/tmp/m', '--force'], { KOKORO_MODEL_BASE_URL: 'http://mirror/x/' });
  t.same(
    { url: fp16.url, dest: fp16.dest, force: fp16.force },
    { url: 'http://mirror/x/onnx/model_fp16.onnx', dest: '/tmp/m/model_fp16.onnx', force: true },
  );
  t.equal(parseFetchArgs(['--sha256', SHA.toUpperCase()], {}).sha256, SHA);
  for (const bad of [['--dtype', 'q9'], ['--sha256', 'abc'], ['--bogus'], ['extra'], ['--dest']]) {
    t.throws(() => parseFetchArgs(bad, {}), { code: 'bad_argument', exitCode: 64 }, bad.join(' '));
  }
  t.throws(() => parseFetchArgs([], { KOKORO_MODEL_BASE_URL: 'not a url' }), { code: 'bad_argument' });
  t.ok(new FetchError('unreachable', 'x') instanceof Error);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'models/fetch.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
    );
  });
}

t.test('the command fails fast offline with exit code 2 and says what to do by hand', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'model-fetch-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = await runCli(['--dest', dir], { KOKORO_MODEL_BASE_URL: 'http://127.0.0.1:1' });
  t.equal(run.code, 2);
  t.match(run.stderr, '[unreachable]');
  t.match(run.stderr, `http://127.0.0.1:1/onnx/${FILE}`, 'which file, from where');
  t.match(run.stderr, join(dir, FILE), 'where to put it');
  t.match(run.stderr, 'KOKORO_MODEL=', 'or how to point the host at it');
  t.notOk(existsSync(join(dir, FILE)));
});

t.test('the command downloads, then leaves a present file alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'model-fetch-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await runCli(['--dest', dir], { KOKORO_MODEL_BASE_URL: `${base}/good` });
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, `${FILE}: 0.2 of 0.2 MB (100%)`, 'plain progress lines off a terminal');
  t.match(first.stdout, `sha256 ${SHA} verified`);
  t.ok(readFileSync(join(dir, FILE)).equals(BODY));
  const again = await runCli(['--dest', dir], { KOKORO_MODEL_BASE_URL: 'http://127.0.0.1:1' });
  t.equal(again.code, 0, 'no network needed when the file is there');
  t.match(again.stdout, 'already present');
  const wrong = await runCli(['--dest', dir, '--sha256', WRONG_SHA], { KOKORO_MODEL_BASE_URL: 'http://127.0.0.1:1' });
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, '[checksum_mismatch]');
  const bad = await runCli(['--dtype', 'q9'], {});
  t.equal(bad.code, 64);
  t.match(bad.stderr, '[bad_argument]');
});
