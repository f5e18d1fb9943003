/**
 * One resumable, verified download: `<dest>.part` grows (HTTP Range on a rerun), its
 * SHA-256 is checked, and only then is it renamed onto `<dest>`. node:http(s) rather than
 * fetch() so connecting has its own short deadline and an offline machine fails in seconds.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';

export type FetchErrorCode = 'bad_argument' | 'unreachable' | 'interrupted' | 'http_status' | 'checksum_mismatch';

/** Exit status per code: 2 means "no network; fetch it by hand", 64 is EX_USAGE. */
const EXIT_CODES: Record<FetchErrorCode, number> = {
  bad_argument: 64,
  unreachable: 2,
  interrupted: 2,
  http_status: 1,
  checksum_mismatch: 1,
};

export class FetchError extends Error {
  readonly code: FetchErrorCode;
  readonly exitCode: number;
  constructor(code: FetchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FetchError';
    this.code = code;
    this.exitCode = EXIT_CODES[code];
  }
}

export interface Progress {
  received: number;
  total: number | undefined;
}

export interface DownloadOptions {
  url: string;
  /** Final path of the file; `<dest>.part` holds it while it downloads. */
  dest: string;
  /** Expected SHA-256 (hex); wins over what the server says. */
  sha256?: string | undefined;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  onProgress?: (p: Progress) => void;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Where the expected checksum came from; 'none' when neither flag nor server gave one. */
  verifiedBy: 'flag' | 'server' | 'none';
  resumedFrom: number;
}

const MAX_REDIRECTS = 5;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** An ETag that is a bare or quoted SHA-256, as the Hub sends for LFS files. */
export function sha256FromEtag(value: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  const hex = raw?.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
  return hex !== undefined && SHA256_HEX.test(hex) ? hex : undefined;
}

interface Opened {
  res: IncomingMessage;
  url: URL;
  /** From the first hop: the Hub's resolve response, not the CDN it redirects to. */
  serverSha256: string | undefined;
}

/** One GET with a connect deadline (DNS + TCP) and an idle deadline after that. */
function get(url: URL, headers: Record<string, string>, connectMs: number, idleMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // agent:false: no keep-alive socket holds the CLI open after the last byte.
    const req = send(url, { headers, agent: false });
    const deadline = setTimeout(() => {
      req.destroy(new FetchError('unreachable', `no connection to ${url.host} within ${connectMs / 1000} s`));
    }, connectMs);
    req.once('socket', (socket) => {
      const connected = () => {
        clearTimeout(deadline);
        req.setTimeout(idleMs, () => req.destroy(new FetchError('interrupted', `${url.host} sent nothing for ${idleMs / 1000} s`)));
      };
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    req.once('response', (res) => {
      clearTimeout(deadline);
      resolve(res);
    });
    req.once('error', (err) => {
      clearTimeout(deadline);
      reject(err instanceof FetchError ? err : new FetchError('unreachable', `cannot reach ${url.host}: ${err.message}`, { cause: err }));
    });
    req.end();
  });
}

async function open(start: URL, headers: Record<string, string>, connectMs: number, idleMs: number): Promise<Opened> {
  let url = start;
  let serverSha256: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await get(url, headers, connectMs, idleMs);
    serverSha256 ??= sha256FromEtag(res.headers['x-linked-etag']) ?? (hop === 0 ? sha256FromEtag(res.headers.etag) : undefined);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location !== undefined) {
      res.resume();
      url = new URL(location, url);
      continue;
    }
    return { res, url, serverSha256 };
  }
  throw new FetchError('http_status', `more than ${MAX_REDIRECTS} redirects from ${start.href}`);
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Streams the body onto the .part file, after its first `offset` bytes.
 *
 * Every byte handed to us is on disk before this returns or throws: when the connection
 * breaks, the file is ended (its queued writes flushed), never destroyed. stream.pipeline()
 * would destroy it on the source's error and drop the writes still queued, which on a busy
 * machine was often all of them, so a resume started again from byte 0.
 */
async function receive(opened: Opened, part: string, offset: number, onProgress?: (p: Progress) => void): Promise<void> {
  const { res } = opened;
  const length = Number(res.headers['content-length'] ?? NaN);
  const total = Number.isFinite(length) ? offset + length : undefined;
  let received = offset;
  const file = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
  const flushed = new Promise<Error | undefined>((resolve) => {
    file.once('close', () => resolve(undefined));
    file.once('error', resolve);
  });
  const body = new Promise<void>((resolve, reject) => {
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      onProgress?.({ received, total });
      // Backpressure: a paused response stops reading the socket, so nothing piles up here.
      if (!file.write(chunk)) {
        res.pause();
        file.once('drain', () => res.resume());
      }
    });
    res.once('end', resolve);
    res.once('error', reject);
    file.once('error', reject);
  });
  let failure: unknown;
  try {
    await body;
  } catch (err) {
    failure = err;
    res.destroy();
  }
  file.end();
  const writeError = await flushed;
  if (writeError !== undefined) throw new FetchError('interrupted', `cannot write ${part}: ${writeError.message}`, { cause: writeError });
  if (failure === undefined) return;
  if (failure instanceof FetchError) throw failure;
  const why = failure instanceof Error ? failure.message : String(failure);
  throw new FetchError('interrupted', `download of ${opened.url.href} broke off after ${received} bytes, all kept in ${part} (${why})`, { cause: failure });
}

/** Where the server's 206 starts, from `Content-Range: bytes START-END/TOTAL`. */
function rangeStart(res: IncomingMessage): number {
  const match = /^bytes (\d+)-/.exec(res.headers['content-range'] ?? '');
  return match === null ? -1 : Number(match[1]);
}

/** Downloads `url` to `dest` through `dest.part`, resuming a partial file left by an earlier run. */
export async function download(options: DownloadOptions): Promise<DownloadResult> {
  const { dest, onProgress } = options;
  const part = `${dest}.part`;
  const connectMs = options.connectTimeoutMs ?? 5_000;
  const idleMs = options.idleTimeoutMs ?? 30_000;
  mkdirSync(dirname(dest), { recursive: true });

  const resumedFrom = sizeOf(part);
  const headers: Record<string, string> = { 'user-agent': 'kokoro-host-model-fetch' };
  if (resumedFrom > 0) headers.range = `bytes=${resumedFrom}-`;
  const opened = await open(new URL(options.url), headers, connectMs, idleMs);
  const status = opened.res.statusCode ?? 0;
  const expected = options.sha256?.toLowerCase() ?? opened.serverSha256;

  if (status === 206) {
    const start = rangeStart(opened.res);
    if (start !== resumedFrom) {
      opened.res.resume();
      throw new FetchError('http_status', `${opened.url.host} resumed at byte ${start}, not ${resumedFrom}; delete ${part} and retry`);
    }
    await receive(opened, part, resumedFrom, onProgress);
  } else if (status === 200) {
    // A server that ignores Range sends the whole file: start the .part again.
    await receive(opened, part, 0, onProgress);
  } else if (status === 416 && resumedFrom > 0) {
    // The .part is already whole (a run died before renaming it) or longer than the file.
    // With a checksum to go by it is judged below; without one it is fetched afresh.
    opened.res.resume();
    if (expected === undefined) {
      rmSync(part, { force: true });
      return download(options);
    }
  } else {
    opened.res.resume();
    throw new FetchError('http_status', `HTTP ${status} for ${opened.url.href}`);
  }

  const actual = await sha256File(part);
  if (expected !== undefined && actual !== expected) {
    rmSync(part, { force: true });
    throw new FetchError('checksum_mismatch', `SHA-256 of ${opened.url.href} is ${actual}, expected ${expected}; the partial file was deleted`);
  }
  renameSync(part, dest);
  return {
    path: dest,
    bytes: sizeOf(dest),
    sha256: actual,
    verifiedBy: options.sha256 !== undefined ? 'flag' : expected !== undefined ? 'server' : 'none',
    resumedFrom: status === 206 ? resumedFrom : 0,
  };
}
