import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { type RunningApp, startApp } from '../support/app.js';
import { CHROMIUM_PATH, chromiumInstalled, DemoPage, launchChromium } from './demo-page.js';

/**
 * Two real headless Chromium pages drive the demo page at `/` against the real gateway.
 * Without Chromium the suite is skipped locally (with the reason printed) and fails under CI.
 * DEMO_SCREENSHOT=docs/demo.png also saves a picture of the conversation for the README.
 */
const runnable = chromiumInstalled() || process.env.CI !== undefined;
const reason = `${CHROMIUM_PATH} is not installed (apt-get install -y chromium)`;
if (!runnable) process.stderr.write(`demo page browser test skipped: ${reason}\n`);

(runnable ? describe : describe.skip)(`demo page in two Chromium pages${runnable ? '' : ` (skipped: ${reason})`}`, () => {
  let server: RunningApp;
  let browser: Browser;
  let ada: DemoPage;
  let bob: DemoPage;

  beforeAll(async () => {
    if (!chromiumInstalled()) throw new Error(`${reason}; CI must install it`);
    server = await startApp();
    browser = await launchChromium();
    ada = await DemoPage.open(browser, server.url);
    bob = await DemoPage.open(browser, server.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows history, members and presence when a second person joins', async () => {
    await ada.signIn('ada');
    await ada.join('lobby');
    await ada.send('first!');
    await bob.signIn('bob');
    await ada.online('bob').waitFor();
    await bob.join('lobby');
    await bob.message('first!').waitFor();
    await bob.member('ada').waitFor();
    await ada.member('bob').waitFor();
    await ada.notice('bob joined').waitFor();
  });

  it('shows typing, then delivers a message typed in one page to the other exactly once', async () => {
    await ada.type('hello <b>bob</b>');
    await bob.page.locator('#typing', { hasText: 'ada is typing' }).waitFor();
    await ada.page.press('#message-input', 'Enter');
    await bob.message('hello <b>bob</b>').waitFor();
    await bob.page.locator('#typing', { hasText: 'ada is typing' }).waitFor({ state: 'detached' });
    // A later message from the same sender arriving proves nothing else was still on its way.
    await ada.send('second');
    await bob.message('second').waitFor();
    expect(await bob.message('hello <b>bob</b>').count()).toBe(1);
    expect(await ada.message('hello <b>bob</b>').count()).toBe(1);
    // User text is shown as text: no element was made from it.
    expect(await bob.page.locator('#messages b').count()).toBe(0);
  });

  it('delivers a direct message to the other page', async () => {
    await bob.sendDirect('ada', 'psst, ada');
    await ada.direct('psst, ada').waitFor();
    await expect(ada.direct('psst, ada').textContent()).resolves.toContain('from bob');
    await bob.send('see you in the DM');
    await bob.type('one more thing');
    await ada.page.locator('#typing', { hasText: 'bob is typing' }).waitFor();
    if (process.env.DEMO_SCREENSHOT) await ada.page.screenshot({ path: process.env.DEMO_SCREENSHOT });
  });

  it('shows an error ack to the user', async () => {
    await ada.page.fill('#room-input', 'no spaces allowed');
    await ada.page.click('#join-form button[type=submit]');
    await ada.error('VALIDATION_FAILED').waitFor();
    await expect(ada.error('VALIDATION_FAILED').textContent()).resolves.toContain('room:join');
  });

  it('shows the other person leaving and going offline', async () => {
    await bob.close();
    await ada.notice('bob left').waitFor();
    await ada.member('bob').waitFor({ state: 'detached' });
    await ada.online('bob').waitFor({ state: 'detached' });
  });
});
