/**
 * GET /: the playground page (web/), so a new user hears the host before writing a client.
 *
 * The page is a few static files read once at start and served from memory: no CDN, no
 * build step, nothing that needs the network. `/web/config.json` tells the page what this
 * host offers (download formats, whether a key is needed); everything else it reads from
 * the public API (/v1/voices, /readyz, /v1/tts/ws, /v1/audio/speech) with the key the
 * user typed. KOKORO_WEB=0 registers none of it.
 *
 * The page and its assets are public (auth.ts): they hold no data, and the key never goes
 * into a URL (the socket presents it as a subprotocol, HTTP as a bearer header).
 *
 * The download formats are the OpenAI speech endpoint's (src/protocols/openai/encoders/):
 * app.ts hands them in, as this shared route knows no protocol.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { OUTPUT_SAMPLE_RATE, type GatewayContext } from './context.ts';
import { NATIVE_WS_PATH, WEB_ASSETS_PREFIX, WEB_PAGE_PATH } from './route-paths.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** The files of web/ the page is made of; nothing else under /web/ is served. */
export const WEB_FILES = ['index.html', 'app.js', 'host-api.js', 'status.js', 'download.js', 'player-worklet.js', 'voices.js', 'mix.js', 'style.css'] as const;

/** Same-origin only: the page loads nothing from anywhere else, and no other site may frame it. */
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What the page offers that a protocol decides. */
export interface WebPageOptions {
  /** The response formats POST /v1/audio/speech really encodes. */
  formats: readonly string[];
}

interface Asset {
  body: Buffer;
  type: string;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of WEB_FILES) {
    const ext = name.slice(name.lastIndexOf('.') + 1);
    assets.set(name, { body: readFileSync(`${dir}${name}`), type: CONTENT_TYPES[ext] ?? 'application/octet-stream' });
  }
  return assets;
}

export function registerWebRoute(app: FastifyInstance, ctx: GatewayContext, page: WebPageOptions): void {
  if (!ctx.config.web) return;
  const assets = loadAssets(`${ctx.config.rootDir}web/`);
  const pageConfig = JSON.stringify({
    formats: page.formats,
    auth: ctx.config.apiKey !== undefined && ctx.config.apiKey !== '',
    ws_path: NATIVE_WS_PATH,
    sample_rate: OUTPUT_SAMPLE_RATE,
    max_input_chars: ctx.config.maxInputChars,
  });

  const send = (name: string, reply: FastifyReply) => {
    const asset = assets.get(name);
    if (asset === undefined) return false;
    reply.header('content-type', asset.type).header('cache-control', 'no-cache').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').send(asset.body);
    return true;
  };

  app.get(WEB_PAGE_PATH, (_request, reply) => {
    send('index.html', reply);
  });
  app.get(`${WEB_ASSETS_PREFIX}config.json`, (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(pageConfig);
  });
  app.get<{ Params: { file: string } }>(`${WEB_ASSETS_PREFIX}:file`, (request, reply) => {
    if (!send(request.params.file, reply)) reply.callNotFound();
  });
}
