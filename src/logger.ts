/**
 * Logger options for the host: pino JSON lines, pretty-printed only when stdout is a
 * terminal (a container's stdout is not, so production always gets JSON).
 *
 * Policy: user text is never logged at info (lengths only); the API key never appears,
 * neither from the Authorization header (not serialized) nor from `?api_key=` in a URL.
 */
import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';

type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/** A URL as it may be logged: the `api_key` query parameter's value replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]api_key=)[^&#]*/gi, '$1[redacted]');
}

interface RequestLike {
  method: string;
  url: string;
  ip?: string;
  headers?: Record<string, unknown>;
}

export function loggerOptions(config: Pick<Config, 'logLevel'>, pretty = process.stdout.isTTY === true): LoggerOptions {
  const options: LoggerOptions = {
    level: config.logLevel,
    serializers: {
      req(req: RequestLike) {
        const upgrade = req.headers?.upgrade;
        return {
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.ip,
          ...(typeof upgrade === 'string' ? { upgrade } : {}),
        };
      },
    },
    // Text may reach a log object only under `pii`; it is dropped wholesale.
    redact: { paths: ['pii', '*.pii', 'req.headers.authorization'], remove: true },
  };
  if (pretty) {
    options.transport = { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } };
  }
  return options;
}
