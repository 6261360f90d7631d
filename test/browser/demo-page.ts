import { existsSync } from 'node:fs';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Flags that let Debian's Chromium run headless as root on a machine without outside network. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const UI_WAIT_MS = 5000;

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** The demo page (public/index.html) as a person uses it: every action waits for its visible effect. */
export class DemoPage {
  constructor(readonly page: Page) {}

  static async open(browser: Browser, url: string): Promise<DemoPage> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_WAIT_MS);
    await page.goto(url);
    return new DemoPage(page);
  }

  async signIn(name: string): Promise<void> {
    await this.page.fill('#username', name);
    await this.page.click('#login button[type=submit]');
    await this.page.locator('#whoami', { hasText: `signed in as ${name}` }).waitFor();
  }

  async join(room: string): Promise<void> {
    await this.page.fill('#room-input', room);
    await this.page.click('#join-form button[type=submit]');
    await this.page.locator('#room-title', { hasText: `# ${room}` }).waitFor();
  }

  async type(text: string): Promise<void> {
    await this.page.fill('#message-input', text);
  }

  async send(text: string): Promise<void> {
    await this.type(text);
    await this.page.press('#message-input', 'Enter');
    await this.message(text).waitFor();
  }

  async sendDirect(to: string, text: string): Promise<void> {
    await this.page.fill('#dm-to', to);
    await this.page.fill('#dm-text', text);
    await this.page.click('#dm-form button[type=submit]');
    await this.direct(text).waitFor();
  }

  message(text: string): Locator {
    return this.page.locator('#messages li.message', { hasText: text });
  }

  direct(text: string): Locator {
    return this.page.locator('#directs li.message', { hasText: text });
  }

  notice(text: string): Locator {
    return this.page.locator('#messages li.notice', { hasText: text });
  }

  member(name: string): Locator {
    return this.page.locator('#members li', { hasText: name });
  }

  online(name: string): Locator {
    return this.page.locator('#online li', { hasText: name });
  }

  typing(): Locator {
    return this.page.locator('#typing');
  }

  error(code: string): Locator {
    return this.page.locator('#errors li', { hasText: code });
  }

  close(): Promise<void> {
    return this.page.context().close();
  }
}
