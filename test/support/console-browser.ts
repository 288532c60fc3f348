import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';

/** The system Chromium the console suites drive through playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Never skipped: a missing browser fails the suite with the command that installs it. */
export function requireChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const where = process.env.CI === 'true' ? 'CI must provide it (.ci/run installs it)' : 'install it';
  throw new Error(`${CHROMIUM} is missing; ${where}: apt-get install -y chromium`);
}

/**
 * Polls a browser-side expression from Node. page.waitForFunction would evaluate the string
 * inside the page, which the console's CSP (no 'unsafe-eval') rightly forbids. `shown` lists the
 * elements whose text the timeout message quotes.
 */
export async function waitInPage(page: Page, expression: string, timeoutMs: number, shown: readonly string[] = ['#job-status', '#form-error']): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) {
      const texts = await Promise.all(shown.map(async (selector) => `${selector}: "${await page.textContent(selector)}"`));
      throw new Error(`timed out waiting for ${expression}; the page shows ${texts.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
