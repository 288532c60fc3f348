import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseControlNetFlag, readControlImage } from './controlnet-flag.js';

describe('--controlnet model=…,image=…', () => {
  it('maps the short keys onto a controlnets entry; only the keys given are sent', () => {
    assert.deepEqual(parseControlNetFlag('model=canny,image=https://example.com/e.png', (value) => value), { model: 'canny', image: 'https://example.com/e.png' });
    assert.deepEqual(parseControlNetFlag('model=canny, image=x.png ,preprocessor=canny,scale=0.8,start=0.1,end=0.9,low=50,high=150,detect=64', (value) => `read:${value}`), {
      model: 'canny',
      image: 'read:x.png',
      preprocessor: 'canny',
      conditioning_scale: 0.8,
      guidance_start: 0.1,
      guidance_end: 0.9,
      preprocessor_options: { low_threshold: 50, high_threshold: 150, detect_resolution: 64 },
    });
  });

  it('refuses unknown keys, repeated keys, missing model or image and non-numbers, naming them', () => {
    const read = (value: string): string => value;
    assert.throws(() => parseControlNetFlag('model=canny,image=a.png,weight=1', read), /"weight=1" is not one of model=…/);
    assert.throws(() => parseControlNetFlag('model=canny,model=depth,image=a.png', read), /model given twice/);
    assert.throws(() => parseControlNetFlag('image=a.png', read), /needs model=NAME and image=FILE\|URL/);
    assert.throws(() => parseControlNetFlag('model=canny,image=a.png,scale=lots', read), /scale=lots: expected a number/);
  });

  it('sends URLs and data: URLs as they are and local files as base64', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'atelier-cli-cn-'));
    try {
      const file = path.join(dir, 'edges.png');
      await writeFile(file, Buffer.from([1, 2, 3]));
      assert.equal(readControlImage(file), 'AQID');
      assert.equal(readControlImage('data:image/png;base64,AQID'), 'data:image/png;base64,AQID');
      assert.equal(readControlImage('HTTPS://example.com/a.png'), 'HTTPS://example.com/a.png');
      assert.throws(() => readControlImage(path.join(dir, 'missing.png')), /not a URL and not a readable file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
