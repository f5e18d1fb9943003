/**
 * The playground page (GET /) in a real headless browser, Debian's chromium, against the
 * compiled host on the synthetic model: it loads clean, its voices are the host's, Speak
 * plays every sample of the turn through the page's audio graph, Stop barges in, a mix and
 * a speed chosen in the page reach the host, every download format works, the keyboard
 * alone drives it, and a screenshot is left for a person to look at.
 *
 * The page's code runs in the browser: the DOM types below are for its callbacks only.
 *
 * Every wait is bounded by the host's own settings (its queue and run deadlines) or by the
 * audio's own length; nothing asserts a time.
 */
/// <reference lib="dom" />
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Page } from 'puppeteer-core';
import { CHROMIUM, launchChromium, watchedPage } from '../helpers/browser.ts';
import { HostProcess, missingTool, toolTestOptions } from '../../harness/host-process.ts';

interface PageTurn {
  id: string;
  voice: string;
  speed: number;
  outcome: 'ended' | 'stopped' | null;
  played: number;
  audible: number;
  chunks: { index: number; samples: number }[];
  doneFrame: { chunks: number; failed: number; audio_ms: number } | null;
  cancelled: { turn_id: string; last_index: number } | null;
}

// The host's deadlines for one chunk (queue wait + run, host defaults), plus the audio's own
// playing time: a bound on one spoken turn that only a broken host or page can exceed.
const QUEUE_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MAX_MS = 60_000;
const TURN_BOUND_MS = QUEUE_TIMEOUT_MS + RUN_TIMEOUT_MAX_MS;

const options = toolTestOptions('chromium');
const missing = missingTool('chromium');
if (missing !== null && options.skip === undefined) t.fail(`${missing} (${CHROMIUM})`);

const shot = mkdtempSync(join(tmpdir(), 'kokoro-playground-'));

async function history(page: Page): Promise<PageTurn[]> {
  return page.evaluate(() => (window as unknown as { kokoroPlayground: { history(): PageTurn[] } }).kokoroPlayground.history());
}

/** Resolves with the page's history once it holds `count` turns. */
async function turns(page: Page, count: number, timeout = TURN_BOUND_MS): Promise<PageTurn[]> {
  await page.waitForFunction((n: number) => (window as unknown as { kokoroPlayground: { history(): unknown[] } }).kokoroPlayground.history().length >= n, { timeout, polling: 'raf' }, count);
  return history(page);
}

/** Resolves once the turn being spoken has played an audible sample. */
async function audible(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { kokoroPlayground: { current(): { firstAudibleMs: number | null } | null } }).kokoroPlayground.current()?.firstAudibleMs != null, {
    timeout: TURN_BOUND_MS,
    polling: 'raf',
  });
}

function assertFullyPlayed(t: Test, turn: PageTurn | undefined, what: string): void {
  t.ok(turn, `${what}: the turn is in the page's history`);
  if (turn === undefined) return;
  t.equal(turn.outcome, 'ended', `${what}: played to its end`);
  t.ok(turn.doneFrame !== null && turn.doneFrame.failed === 0, `${what}: the host delivered every chunk`);
  const received = turn.chunks.reduce((sum, c) => sum + c.samples, 0);
  t.equal(turn.chunks.length, turn.doneFrame?.chunks, `${what}: every chunk reached the page`);
  t.equal(turn.played, received, `${what}: the audio graph played every received sample, no more`);
  t.equal(Math.round((turn.played / 24_000) * 1000), turn.doneFrame?.audio_ms, `${what}: played length = tts_done.audio_ms`);
  t.ok(turn.audible > turn.played / 2, `${what}: the samples played are sound, not silence (${turn.audible} of ${turn.played} audible)`);
}

t.test('the playground in chromium', options, async (t) => {
  if (missing !== null) return;
  // Debug logs: the host's own record of the voice and speed each speak message carried.
  const host = await HostProcess.start({ env: { LOG_LEVEL: 'debug' } });
  t.teardown(() => host.stop());
  const browser = await launchChromium(t);
  const { page, seen } = await watchedPage(browser);
  const cdp = await page.createCDPSession();
  const sent: string[] = [];
  cdp.on('Network.webSocketFrameSent', (e: { response: { payloadData: string } }) => sent.push(e.response.payloadData));
  await cdp.send('Network.enable');
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: shot, eventsEnabled: true });

  await page.goto(`${host.base}/`, { waitUntil: 'load' });
  await page.evaluate(() => (window as unknown as { kokoroPlayground: { ready: Promise<void> } }).kokoroPlayground.ready);

  await t.test('the voice list is the host\'s /v1/voices, grouped by language and gender', async (t) => {
    const voices = ((await host.get('/v1/voices')).body.voices as { id: string; language: string; gender: string }[]).map((v) => v.id);
    const options = await page.$$eval('#voice option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    t.same([...options].sort(), [...voices].sort(), 'one option per voice, none other');
    const groups = await page.$$eval('#voice optgroup', (gs) => gs.map((g) => (g as HTMLOptGroupElement).label));
    t.same(groups.sort(), [
      'American English · female', 'American English · male', 'Brazilian Portuguese · female', 'Brazilian Portuguese · male',
      'British English · female', 'British English · male', 'French · female', 'Hindi · female', 'Hindi · male',
      'Italian · female', 'Italian · male', 'Japanese · female', 'Japanese · male', 'Mandarin Chinese · female', 'Mandarin Chinese · male',
      'Spanish · female', 'Spanish · male',
    ], 'every language of the 54 voices, by gender');
    t.equal(await page.$eval('#voice', (s) => (s as HTMLSelectElement).value), 'af_heart', "the host's default voice is selected");
  });

  await t.test('Speak plays the turn: every sample the host sent, gapless, its length = tts_done.audio_ms', async (t) => {
    await page.$eval('#text', (el) => ((el as HTMLTextAreaElement).value = 'The first sentence is short. The second one follows it, and then a third, to make several chunks.'));
    await page.click('#speak');
    const [turn] = await turns(page, 1);
    assertFullyPlayed(t, turn, 'first turn');
    t.ok((turn?.chunks.length ?? 0) >= 2, 'the turn came in more than one chunk');
  });

  await t.test('a mix and a speed chosen in the page reach the host', async (t) => {
    await page.select('#voice', 'af_bella');
    await page.click('#mix-add');
    await page.select('#voice', 'am_adam');
    await page.click('#mix-add');
    // The second row's weight: typed as a user would.
    const weight = (await page.$$('#mix-rows input'))[1]!;
    await weight.click({ count: 3 });
    await weight.type('2');
    await page.$eval('#speed', (el) => {
      (el as HTMLInputElement).value = '1.5';
      el.dispatchEvent(new Event('input'));
    });
    t.equal(await page.$eval('#voice-in-use', (o) => o.textContent), 'af_bella(1)+am_adam(2)', 'the page shows the mix in the host syntax');
    const received = host.nextLine((l) => l.msg === 'ws speak received', TURN_BOUND_MS, 'the host logging the speak message');
    await page.$eval('#text', (el) => ((el as HTMLTextAreaElement).value = 'Mixed voices, faster.'));
    await page.click('#speak');
    const line = await received;
    t.equal(line.voice, 'af_bella(1)+am_adam(2)', 'the host received the mix');
    t.equal(line.speed, 1.5, 'the host received the speed');
    const all = await turns(page, 2);
    assertFullyPlayed(t, all[1], 'mixed turn');
    t.match(all[1], { voice: 'af_bella(1)+am_adam(2)', speed: 1.5 });
    await page.click('#mix-clear');
    await page.$eval('#speed', (el) => {
      (el as HTMLInputElement).value = '1';
      el.dispatchEvent(new Event('input'));
    });
  });

  await t.test('the keyboard alone reaches every main control, speaks (Enter) and stops (Escape)', async (t) => {
    await page.$eval('#text', (el) => ((el as HTMLTextAreaElement).value = 'A long turn to interrupt. '.repeat(40)));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const order: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.id ?? ''));
    }
    for (const id of ['text', 'voice', 'preview', 'speed', 'mix-add', 'speak', 'format', 'download']) t.ok(order.includes(id), `Tab reaches #${id}`);

    await page.focus('#text');
    while ((await page.evaluate(() => document.activeElement?.id)) !== 'speak') await page.keyboard.press('Tab');
    const before = sent.length;
    await page.keyboard.press('Enter');
    await audible(page);
    await page.keyboard.press('Escape');
    const all = await turns(page, 3);
    const stopped = all[2]!;
    t.equal(stopped.outcome, 'stopped', 'playback stopped: the player dropped its queue and said so');
    const cancels = sent.slice(before).map((s) => JSON.parse(s) as { type: string; turn_id?: string }).filter((m) => m.type === 'cancel');
    t.same(cancels, [{ type: 'cancel', turn_id: stopped.id }], 'Stop sent one cancel for the turn');
    await page.waitForFunction((id: string) => (window as unknown as { kokoroPlayground: { history(): PageTurn[] } }).kokoroPlayground.history().find((x) => x.id === id)?.cancelled != null, { timeout: TURN_BOUND_MS, polling: 'raf' }, stopped.id);
    const after = (await history(page))[2]!;
    t.equal(after.cancelled?.turn_id, stopped.id, 'the host answered cancelled');
    t.equal(after.doneFrame, null, 'no tts_done: the turn was cut short');
    t.ok(after.played < 2 * 24_000 * 40, 'the player stopped long before the end of the text');
  });

  await t.test('a second Speak after Stop plays in full (Ctrl+Enter in the text box)', async (t) => {
    await page.$eval('#text', (el) => ((el as HTMLTextAreaElement).value = 'Speaking again after a barge-in.'));
    await page.focus('#text');
    await page.keyboard.down('Control');
    await page.keyboard.press('Enter');
    await page.keyboard.up('Control');
    const all = await turns(page, 4);
    assertFullyPlayed(t, all[3], 'turn after the stop');
    const path = join(shot, 'playground.png');
    await page.screenshot({ path, fullPage: true });
    t.comment(`screenshot of the page after speaking: ${path}`);
  });

  await t.test('Download works in every format the page offers, and those are the speech route\'s', async (t) => {
    const formats = await page.$$eval('#format option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    t.same(formats, (await host.get('/web/config.json')).body.formats, 'the page offers the formats the host serves');
    for (const format of formats) {
      await page.select('#format', format);
      const done = new Promise<void>((resolve) => {
        const onProgress = (e: { state: string }) => {
          if (e.state !== 'completed') return;
          cdp.off('Browser.downloadProgress', onProgress);
          resolve();
        };
        cdp.on('Browser.downloadProgress', onProgress);
      });
      const response = page.waitForResponse((r) => r.url().endsWith('/v1/audio/speech'), { timeout: TURN_BOUND_MS });
      await page.click('#download');
      t.equal((await response).status(), 200, `${format}: the speech route answered 200`);
      await done;
    }
    t.comment(`downloads saved beside the screenshot: ${shot}`);
  });

  await t.test('the status line and the banner come from /readyz', async (t) => {
    const status = await page.$eval('#status', (el) => el.textContent ?? '');
    t.match(status, /^ready · workers 1\/1 .*model kokoro-synthetic\.onnx/, 'ready, workers, model');
    t.equal(await page.$eval('#synthetic-banner', (el) => (el as HTMLElement).hidden), false, 'the synthetic-model banner shows');
  });

  t.same(seen.problems, [], 'no console error, exception or failed request on the page');
});
