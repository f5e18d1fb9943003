/**
 * Progress lines while the bench runs. With --json they go to stderr, so the last stdout
 * line is the JSON object; the table always goes to stdout, before it.
 */
let toStderr = false;
const started = performance.now();

export function progressToStderr(on: boolean): void {
  toStderr = on;
}

export function progress(message: string): void {
  const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  (toStderr ? process.stderr : process.stdout).write(`[bench ${t}s] ${message}\n`);
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
