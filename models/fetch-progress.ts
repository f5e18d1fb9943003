/**
 * Download progress: a redrawn bar on a terminal, a plain line every few seconds elsewhere
 * (CI logs, pipes). Driven by the data itself, so there is no timer to clear.
 */
import type { Progress } from './fetch-download.ts';

const BAR_WIDTH = 30;
const TTY_EVERY_MS = 100;
const LINE_EVERY_MS = 5_000;

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

export interface ProgressReporter {
  update(p: Progress): void;
  /** Ends the bar's line; prints nothing when nothing was drawn. */
  finish(): void;
}

export function progressReporter(out: NodeJS.WriteStream, label: string, now: () => number = Date.now): ProgressReporter {
  const started = now();
  let last = 0;
  let drawn = false;
  let first: number | undefined;

  const describe = ({ received, total }: Progress): string => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? `${mb((received - (first ?? 0)) / seconds)} MB/s` : '';
    const of = total !== undefined ? ` of ${mb(total)} MB (${Math.floor((received / total) * 100)}%)` : ' MB';
    return `${label}: ${mb(received)}${of} ${rate}`.trimEnd();
  };

  return {
    update(p) {
      first ??= p.received;
      const at = now();
      const whole = p.total !== undefined && p.received >= p.total;
      if (!whole && at - last < (out.isTTY ? TTY_EVERY_MS : LINE_EVERY_MS)) return;
      last = at;
      if (!out.isTTY) {
        out.write(`${describe(p)}\n`);
        return;
      }
      const share = p.total !== undefined ? Math.min(1, p.received / p.total) : 0;
      const filled = Math.round(share * BAR_WIDTH);
      out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${describe(p)}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}
