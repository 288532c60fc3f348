import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { writeZip, type ZipFixtureEntry } from '@atelier/model-formats/testing';
import { DatasetError, type DatasetProblem } from './dataset-error.js';
import { loadDataset } from './load-dataset.js';

const RESOLUTION = { width: 64, height: 64 };
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

async function solid(width: number, height: number, rgb: readonly [number, number, number], format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Uint8Array> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  const encoded = format === 'png' ? image.png() : format === 'jpeg' ? image.jpeg({ quality: 95 }) : image.webp({ lossless: true });
  return new Uint8Array(await encoded.toBuffer());
}

/** Left half red, right half blue. */
async function halves(width: number, height: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set(x < width / 2 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  return new Uint8Array(await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer());
}

function pixel(data: Float32Array, width: number, x: number, y: number): number[] {
  return Array.from(data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3), (value) => Math.round(value * 255));
}

async function problemsOf(promise: Promise<unknown>): Promise<DatasetProblem[]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DatasetError, `expected a DatasetError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail('the dataset was accepted');
}

function hasProblem(problems: readonly DatasetProblem[], file: string, reason: RegExp): void {
  assert.ok(
    problems.some((problem) => problem.file === file && reason.test(problem.reason)),
    `expected ${file}: ${reason} among\n${problems.map((problem) => `${problem.file}: ${problem.reason}`).join('\n')}`,
  );
}

describe('loadDataset', () => {
  let red: Uint8Array;
  let dir: string;

  before(async () => {
    red = await solid(80, 80, [255, 0, 0]);
    dir = await mkdtemp(join(tmpdir(), 'atelier-dataset-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a zip: png, jpeg and webp, captions beside images or from the template, resized and centre-cropped', async () => {
    const entries: ZipFixtureEntry[] = [
      { name: 'concept/', data: new Uint8Array(0) },
      { name: 'concept/a.png', data: red },
      { name: 'concept/a.txt', data: text('a photo of zxq, red\n') },
      { name: 'concept/b.jpg', data: await solid(100, 64, [0, 255, 0], 'jpeg'), deflate: true },
      // A BOM and a {trigger} placeholder in a caption file are handled too.
      { name: 'concept/b.txt', data: new Uint8Array([0xef, 0xbb, 0xbf, ...text('  {trigger}   on grass ')]) },
      { name: 'concept/sub/c.webp', data: await solid(64, 96, [0, 0, 255], 'webp') },
      { name: 'wide.png', data: await halves(128, 64) },
      { name: 'wide.txt', data: text('a split picture') },
      { name: '__MACOSX/concept/._a.png', data: text('resource fork') },
      { name: 'concept/.DS_Store', data: text('junk') },
      { name: 'notes.md', data: text('# notes') },
      { name: 'orphan.txt', data: text('nobody reads me') },
    ];
    const { examples, warnings } = await loadDataset({ kind: 'zip', bytes: writeZip(entries) }, { resolution: RESOLUTION, triggerWord: 'zxq', captionTemplate: 'a photo of {trigger}' });
    assert.deepEqual(
      examples.map((example) => [example.name, example.caption]),
      [
        ['concept/a.png', 'a photo of zxq, red'],
        ['concept/b.jpg', 'zxq on grass'],
        ['concept/sub/c.webp', 'a photo of zxq'],
        ['wide.png', 'a split picture'],
      ],
    );
    for (const example of examples) {
      assert.equal(example.image.width, 64);
      assert.equal(example.image.data.length, 64 * 64 * 3);
    }
    assert.deepEqual(pixel(examples[0].image.data, 64, 10, 10), [255, 0, 0]);
    const green = pixel(examples[1].image.data, 64, 32, 32);
    assert.ok(green[0] < 10 && green[1] > 245 && green[2] < 10, `jpeg green ${green}`);
    assert.deepEqual(pixel(examples[2].image.data, 64, 0, 63), [0, 0, 255]);
    // 128×64 already covers 64×64; the centre crop keeps columns 32–95: red left, blue right.
    assert.deepEqual(pixel(examples[3].image.data, 64, 2, 30), [255, 0, 0]);
    assert.deepEqual(pixel(examples[3].image.data, 64, 61, 30), [0, 0, 255]);
    assert.deepEqual(
      warnings.map((warning) => warning.file).sort(),
      ['notes.md', 'orphan.txt', 'wide.txt'],
      warnings.map((warning) => `${warning.file}: ${warning.reason}`).join('\n'),
    );
    assert.match(warnings.find((warning) => warning.file === 'wide.txt')?.reason ?? '', /does not mention the trigger word "zxq"/);
  });

  it('reads a folder the same way and refuses symbolic links', async () => {
    const folder = join(dir, 'folder');
    await mkdir(join(folder, 'nested'), { recursive: true });
    await writeFile(join(folder, 'one.png'), red);
    await writeFile(join(folder, 'one.txt'), 'zxq one');
    await writeFile(join(folder, 'nested', 'two.webp'), await solid(64, 64, [255, 255, 0], 'webp'));
    await writeFile(join(folder, 'nested', 'two.txt'), 'zxq two');
    const { examples } = await loadDataset({ kind: 'folder', path: folder }, { resolution: RESOLUTION });
    assert.deepEqual(examples.map((example) => [example.name, example.caption]), [['nested/two.webp', 'zxq two'], ['one.png', 'zxq one']]);
    await symlink('/etc/passwd', join(folder, 'nested', 'leak.txt'));
    hasProblem(await problemsOf(loadDataset({ kind: 'folder', path: folder }, { resolution: RESOLUTION })), 'nested/leak.txt', /symbolic links are not followed/);
  });

  it('reports every bad file with its reason, all at once', async () => {
    const png = red;
    const entries: ZipFixtureEntry[] = [
      { name: 'good.png', data: png },
      { name: 'good.txt', data: text('zxq') },
      { name: 'random.png', data: new Uint8Array(256).fill(7) },
      { name: 'random.txt', data: text('zxq') },
      { name: 'truncated.png', data: png.subarray(0, 60) },
      { name: 'truncated.txt', data: text('zxq') },
      { name: 'vector.png', data: text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>') },
      { name: 'vector.txt', data: text('zxq') },
      { name: 'moving.gif', data: text('GIF89a') },
      { name: 'tiny.png', data: await solid(16, 16, [1, 2, 3]) },
      { name: 'tiny.txt', data: text('zxq') },
      { name: 'huge.png', data: await solid(600, 64, [1, 2, 3]) },
      { name: 'huge.txt', data: text('zxq') },
      { name: 'uncaptioned.png', data: png },
      { name: 'empty.png', data: png },
      { name: 'empty.txt', data: text('   \n') },
      { name: 'latin1.png', data: png },
      { name: 'latin1.txt', data: new Uint8Array([0x7a, 0x78, 0x71, 0xe9, 0xff]) },
    ];
    const problems = await problemsOf(loadDataset({ kind: 'zip', bytes: writeZip(entries) }, { resolution: RESOLUTION, maxWidth: 512 }));
    hasProblem(problems, 'random.png', /not a PNG, JPEG or WebP file/);
    hasProblem(problems, 'truncated.png', /does not decode/);
    hasProblem(problems, 'vector.png', /not a PNG, JPEG or WebP file/);
    hasProblem(problems, 'moving.gif', /\.gif images are not accepted/);
    hasProblem(problems, 'tiny.png', /16×16, smaller than the minimum 64×64/);
    hasProblem(problems, 'huge.png', /600×64, larger than the maximum 512×8192/);
    hasProblem(problems, 'uncaptioned.png', /has no caption \(expected uncaptioned\.txt/);
    hasProblem(problems, 'empty.txt', /caption is empty/);
    hasProblem(problems, 'latin1.txt', /caption is not valid UTF-8/);
    assert.equal(problems.length, 9, problems.map((problem) => `${problem.file}: ${problem.reason}`).join('\n'));
  });

  it('refuses unsafe archives: path traversal, zip bombs, too many entries, too many bytes', async () => {
    const traversal = writeZip([
      { name: 'ok.png', data: red },
      { name: '../../etc/evil.png', data: red },
    ]);
    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: traversal }, { resolution: RESOLUTION })), '../../etc/evil.png', /unsafe or corrupt archive: name escapes the archive/);

    const zeros = new Uint8Array(8 * 1024 ** 2);
    const bomb = writeZip([
      { name: 'ok.png', data: red },
      { name: 'ok.txt', data: text('zxq') },
      { name: 'bomb.png', data: zeros, deflate: true },
    ]);
    assert.ok(deflateRawSync(zeros).byteLength < 16 * 1024);
    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: bomb }, { resolution: RESOLUTION })), 'bomb.png', /compression ratio \d+:1 exceeds 100:1/);

    const declaredHuge = writeZip([{ name: 'liar.png', data: red, declare: { size: 3 * 1024 ** 3 } }]);
    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: declaredHuge }, { resolution: RESOLUTION })), 'liar.png', /unsafe or corrupt archive/);

    const many = writeZip(Array.from({ length: 6 }, (_, i) => ({ name: `${i}.png`, data: red })));
    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: many }, { resolution: RESOLUTION, maxEntries: 5 })), '(dataset)', /6 entries, over the limit of 5/);
    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: many }, { resolution: RESOLUTION, maxTotalBytes: 2 * red.byteLength })), '(dataset)', /declared sizes add up to more than/);

    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: new Uint8Array(100) }, { resolution: RESOLUTION })), '(dataset)', /unsafe or corrupt archive/);
  });

  it('enforces image count limits and consistent options', async () => {
    const one = writeZip([
      { name: 'a.png', data: red },
      { name: 'a.txt', data: text('zxq') },
    ]);
    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: one }, { resolution: RESOLUTION, minImages: 2 })), '(dataset)', /1 images, at least 2 needed/);
    const three = writeZip(['a', 'b', 'c'].map((name) => ({ name: `${name}.png`, data: red })));
    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: three }, { resolution: RESOLUTION, maxImages: 2, captionTemplate: 'x' })), '(dataset)', /3 images, at most 2 allowed/);
    hasProblem(await problemsOf(loadDataset({ kind: 'zip', bytes: one }, { resolution: RESOLUTION, captionTemplate: 'a photo of {trigger}' })), '(dataset)', /uses \{trigger\} but no triggerWord/);
  });
});
