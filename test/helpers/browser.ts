/**
 * Debian's chromium, driven by puppeteer-core, for the playground tests. No browser is ever
 * downloaded: .ci/run installs the `chromium` package. Without it the tests FAIL, unless
 * KOKORO_ALLOW_MISSING_TOOLS=1 says to skip them (host-process.ts: toolTestOptions).
 *
 * Each page records what must not happen on a healthy page: console errors, uncaught
 * exceptions, failed requests and HTTP error statuses.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Test } from 'tap';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(t: Test): Promise<Browser> {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI containers needs --no-sandbox; audio must start without a click in some tests.
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-gpu', '--no-first-run'],
    // puppeteer kills the browser when this process exits; the teardown closes it first.
    handleSIGINT: true,
    handleSIGTERM: true,
  });
  t.teardown(() => browser.close());
  return browser;
}

export interface PageProblems {
  /** Console errors, page exceptions, failed requests and HTTP statuses >= 400, as text. */
  problems: string[];
  /** Every URL the page requested. */
  urls: string[];
}

export async function watchedPage(browser: Browser): Promise<{ page: Page; seen: PageProblems }> {
  const page = await browser.newPage();
  const seen: PageProblems = { problems: [], urls: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') seen.problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => seen.problems.push(`exception: ${err instanceof Error ? err.message : String(err)}`));
  page.on('request', (req) => seen.urls.push(req.url()));
  page.on('requestfailed', (req) => seen.problems.push(`failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('response', (res) => {
    if (res.status() >= 400) seen.problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return { page, seen };
}
