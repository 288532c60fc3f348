import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodePng } from '@atelier/diffusion';
import { writeOfficialDecoderGraph, writeSamEncoderGraph } from '@atelier/segmentation/testing';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium, waitInPage } from '../support/console-browser.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

const SIZE = 128;
const GREY = 128;
/** Where the test clicks, in image pixels (the canvas shows the image at its own size). */
const CLICK = { x: 40, y: 44 };
const SECOND_CLICK = { x: 100, y: 30 };
/** Inside the graph's disc (radius 120 of SAM's 1024 frame: 15 image pixels) but clear of the drawn point marker. */
const INSIDE = { x: CLICK.x + 9, y: CLICK.y };
const FAR = { x: 120, y: 120 };
const SHOWN = ['#inpaint-status', '#inpaint-error', '#job-status'];

interface TaskView {
  status: string;
  metadata: { embeddings_cached?: boolean; scores?: number[] } | null;
  parameters: { points?: Array<{ x: number; y: number; label: string }> };
}

interface GenerationView {
  status: string;
  outputs: Array<{ width: number; height: number }>;
  parameters: { prompt: string; strength: number };
}

// Browser-side snippets are strings: this project compiles without the DOM library.
const pixelAt = (point: { x: number; y: number }): string =>
  `Array.from(document.querySelector('#inpaint-canvas').getContext('2d').getImageData(${point.x}, ${point.y}, 1, 1).data)`;
const statusMatches = (pattern: RegExp): string => `${pattern.toString()}.test(document.querySelector('#inpaint-status').textContent)`;
const RESULT_IMAGE_LOADED = `(() => { const image = document.querySelector('#result img'); return image !== null && image.complete && image.naturalWidth > 0; })()`;

/** The segmentation task id the status line names. */
async function shownTaskId(page: Page): Promise<string> {
  const id = /task (tsk_[0-9a-f]{32})/.exec((await page.textContent('#inpaint-status')) ?? '')?.[1];
  assert.ok(id, 'the status line names the task');
  return id;
}

describe('console Inpaint view in a real browser: click-to-mask with SAM, then inpainting (real API, worker, Redis, s3rver)', () => {
  let fixture: FarmFixture;
  let browser: Browser;
  let scratch: string;

  before(async () => {
    requireChromium();
    scratch = await mkdtemp(path.join(tmpdir(), 'atelier-console-inpaint-'));
    const modelsDir = path.join(scratch, 'models');
    // SAM graphs with the official export's names and shapes: the decoder draws a disc around the first click.
    await writeSamEncoderGraph(path.join(modelsDir, 'segmenters', 'sam', 'encoder.onnx'), { inputName: 'x' });
    await writeOfficialDecoderGraph(path.join(modelsDir, 'segmenters', 'sam', 'decoder.onnx'));
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await fixture?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('a click overlays the mask at the click only, a second click reuses the embeddings, a refused field is named, and the inpainting succeeds and shows', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${fixture.farm.apiUrl}/`);
    await page.fill('#api-key', fixture.farm.apiKey);
    await page.click('#save-key');
    await page.waitForSelector('#key-status.ok');
    await page.waitForSelector('#model option[value="demo-sd15"]', { state: 'attached' });

    const picture = path.join(scratch, 'grey.png');
    await writeFile(picture, encodePng(new Uint8Array(SIZE * SIZE * 3).fill(GREY), SIZE, SIZE));
    await page.setInputFiles('#inpaint-image', picture);
    await waitInPage(page, statusMatches(/^128×128: click/), 10_000, SHOWN);
    assert.deepEqual(await page.evaluate(pixelAt(INSIDE)), [GREY, GREY, GREY, 255], 'the image is drawn as it is');

    await page.click('#inpaint-canvas', { position: CLICK });
    await waitInPage(page, statusMatches(/^Mask ready: .*embeddings computed/), 60_000, SHOWN);
    const [red, green, blue, alpha] = (await page.evaluate(pixelAt(INSIDE))) as number[];
    assert.ok(blue > GREY + 30 && red < GREY - 30 && alpha === 255, `the selected pixel is tinted blue: ${[red, green, blue, alpha].join(',')}`);
    assert.deepEqual(await page.evaluate(pixelAt(FAR)), [GREY, GREY, GREY, 255], 'a far pixel is not covered');
    const first = await fixture.api.request<TaskView>('GET', `/v1/segmentations/${await shownTaskId(page)}`);
    assert.equal(first.body.status, 'succeeded');
    assert.equal(first.body.metadata?.embeddings_cached, false);
    assert.deepEqual(first.body.parameters.points, [{ ...CLICK, label: 'positive' }], 'the click lands on its image pixel');

    await page.click('#inpaint-canvas', { position: SECOND_CLICK, button: 'right' });
    await waitInPage(page, statusMatches(/^Mask ready: .*embeddings cached/), 60_000, SHOWN);
    const second = await fixture.api.request<TaskView>('GET', `/v1/segmentations/${await shownTaskId(page)}`);
    assert.equal(second.body.metadata?.embeddings_cached, true, 'only the decoder ran');
    assert.deepEqual(second.body.parameters.points, [{ ...CLICK, label: 'positive' }, { ...SECOND_CLICK, label: 'negative' }], 'a right click is a negative point');
    assert.deepEqual(await page.evaluate(pixelAt(FAR)), [GREY, GREY, GREY, 255]);

    // An empty prompt is refused by the API; the view names the field.
    await page.fill('#inpaint-steps', '4');
    await page.click('#inpaint-submit');
    await waitInPage(page, `document.querySelector('#inpaint-error').textContent !== ''`, 10_000, SHOWN);
    assert.match((await page.textContent('#inpaint-error')) ?? '', /^prompt: /);

    await page.fill('#inpaint-prompt', 'a cat on a grey wall');
    await page.click('#inpaint-submit');
    await waitInPage(page, RESULT_IMAGE_LOADED, 120_000, SHOWN);
    assert.match((await page.textContent('#job-status')) ?? '', /^Succeeded/);
    const generationId = (await page.textContent('#job-detail')) ?? '';
    const generation = await fixture.api.request<GenerationView>('GET', `/v1/generations/${generationId}`);
    assert.equal(generation.body.status, 'succeeded', JSON.stringify(generation.body));
    assert.equal(generation.body.parameters.prompt, 'a cat on a grey wall');
    assert.deepEqual(generation.body.outputs.map((output) => [output.width, output.height]), [[SIZE, SIZE]]);
    assert.equal(await page.getAttribute('#result img', 'alt'), 'a cat on a grey wall');

    await page.click('#inpaint-clear');
    assert.deepEqual(await page.evaluate(pixelAt(INSIDE)), [GREY, GREY, GREY, 255], 'clear removes the overlay');
    assert.match((await page.textContent('#inpaint-status')) ?? '', /^Cleared/);
    // Chromium logs every 4xx response: the empty prompt's is the only line expected.
    assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 400 (Bad Request)'], 'no script errors or CSP violations');
    await page.close();
  });
});
