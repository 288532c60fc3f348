import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium, waitInPage } from '../support/console-browser.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

const SCREENSHOT = path.resolve('out', 'console-e2e.png');

// Browser-side snippets are strings: this project compiles without the DOM library.
/**
 * Records every status line the page shows, in order, from the mutation records themselves: the
 * last progress event and the final one often arrive in one chunk, and an observer reading the
 * element would only see the last text.
 */
const RECORD_STATUS_LINES = `(() => {
  window.statusLines = [];
  new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) window.statusLines.push(node.textContent);
  }).observe(document.querySelector('#job-status'), { childList: true });
})()`;
const RESULT_IMAGE_LOADED = `(() => { const image = document.querySelector('#result img'); return image !== null && image.complete && image.naturalWidth > 0; })()`;
const RESULT_IMAGE_SIZE = `(() => { const image = document.querySelector('#result img'); return { width: image.naturalWidth, height: image.naturalHeight }; })()`;

describe('web console in a real browser (Chromium via playwright-core, real farm)', () => {
  let fixture: FarmFixture;
  let browser: Browser;

  before(async () => {
    requireChromium();
    fixture = await startFarmFixture();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await fixture?.stop();
  });

  it('takes a key, submits a prompt, shows live progress and the image, recent outputs and the farm', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    const landing = await page.goto(`${fixture.farm.apiUrl}/`);
    assert.equal(landing?.status(), 200);
    assert.match(landing?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
    await page.fill('#api-key', fixture.farm.apiKey);
    await page.click('#save-key');
    await page.waitForSelector('#key-status.ok');
    assert.equal(await page.textContent('#key-status'), 'Key accepted.');
    await page.waitForSelector('#model option[value="demo-sd15"]', { state: 'attached' });
    assert.equal(await page.evaluate(`localStorage.getItem('atelier.apiKey')`), fixture.farm.apiKey);

    await page.evaluate(RECORD_STATUS_LINES);
    await page.fill('#prompt', 'a red circle on a blue background');
    await page.fill('#width', '64');
    await page.fill('#height', '64');
    await page.fill('#steps', '150');
    await page.selectOption('#scheduler', 'Euler');
    await page.click('#submit');

    await waitInPage(page, RESULT_IMAGE_LOADED, 60_000);
    assert.deepEqual(await page.evaluate(RESULT_IMAGE_SIZE), { width: 64, height: 64 });
    const seen = (await page.evaluate('window.statusLines')) as string[];
    assert.ok(
      seen.some((line) => /^Running: step \d+ of 150$/.test(line)),
      `progress shown: ${seen.join(' ; ')}`,
    );
    assert.match(seen.at(-1) ?? '', /^Succeeded/);
    assert.equal(await page.evaluate(`document.querySelector('#progress').value`), 150);
    assert.match((await page.textContent('#job-status')) ?? '', /^Succeeded in/);

    await page.waitForSelector('#recent .card img');
    assert.match((await page.textContent('#recent .card')) ?? '', /a red circle on a blue background/);
    await page.waitForSelector('#queues tbody tr');
    assert.match((await page.textContent('#queues tbody')) ?? '', /generation/);
    await page.waitForSelector(`#workers tbody tr:has-text("${fixture.farm.workers[0].id}")`);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(existsSync(SCREENSHOT));

    await page.reload();
    await page.waitForSelector('#key-status.ok');
    assert.equal(await page.inputValue('#api-key'), fixture.farm.apiKey, 'the key survives a reload (localStorage)');
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
    await page.close();
  });
});
