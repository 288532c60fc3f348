// Alignment round trip on pixels: five blobs drawn at a rotated, shrunk face's landmarks are found
// (intensity centroids) at the template positions in the aligned 512² face, and back at the
// landmarks after the aligned face is warped back and pasted — within 0.5 px both ways.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pasteFace } from '../paste/paste-face.js';
import type { PixelImage } from '../pixel-image.js';
import { alignedInput, alignmentOf, restoredPixels } from '../restore-faces.js';
import { applyAffine, invertAffine, type Point } from './affine.js';
import { ffhqTemplate } from './ffhq-template.js';

const SIGMA = 3;

function drawBlobs(width: number, height: number, points: readonly Point[]): PixelImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let value = 0;
      for (const p of points) value += 255 * Math.exp(-((x - p.x) ** 2 + (y - p.y) ** 2) / (2 * SIGMA * SIGMA));
      data.fill(Math.min(255, Math.round(value)), (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { width, height, channels: 3, data };
}

/** Intensity centroid of channel 0 in a square around `near` (background subtracted at `floor`). */
function centroid(values: (x: number, y: number) => number, near: Point, radius: number): Point {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = Math.round(near.y) - radius; y <= Math.round(near.y) + radius; y++) {
    for (let x = Math.round(near.x) - radius; x <= Math.round(near.x) + radius; x++) {
      const v = values(x, y);
      sum += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return { x: sx / sum, y: sy / sum };
}

describe('alignment round trip on pixels', () => {
  it('blobs at the landmarks land on the template when aligned and back on the landmarks when pasted', () => {
    const angle = (17 * Math.PI) / 180;
    const scale = 0.6;
    const template = ffhqTemplate(512);
    const landmarks = template.map((p) => {
      const x = (p.x - 256) * scale;
      const y = (p.y - 256) * scale;
      return { x: 430 + x * Math.cos(angle) - y * Math.sin(angle), y: 340 + x * Math.sin(angle) + y * Math.cos(angle) };
    });
    const image = drawBlobs(900, 700, landmarks);
    const toFace = alignmentOf({ box: { x1: 0, y1: 0, x2: 0, y2: 0 }, score: 1, landmarks }, 512);

    let worstAligned = 0;
    let worstPasted = 0;
    const aligned = alignedInput(image, toFace, 512);
    const alignedValue = (x: number, y: number): number => (aligned[y * 512 + x] + 1) / 2;
    for (const [k, p] of landmarks.entries()) {
      const expected = applyAffine(toFace, p);
      const found = centroid(alignedValue, expected, Math.ceil((4 * SIGMA) / scale));
      worstAligned = Math.max(worstAligned, Math.hypot(found.x - expected.x, found.y - expected.y));
      assert.ok(Math.hypot(found.x - expected.x, found.y - expected.y) < 0.5, `aligned landmark ${k}: ${JSON.stringify(found)} vs ${JSON.stringify(expected)}`);
      assert.ok(Math.hypot(expected.x - template[k].x, expected.y - template[k].y) < 1e-6);
    }

    const canvas: PixelImage = { width: 900, height: 700, channels: 3, data: new Uint8Array(900 * 700 * 3) };
    pasteFace(canvas, restoredPixels(aligned, 512), 512, toFace, invertAffine(toFace), 1);
    const pastedValue = (x: number, y: number): number => canvas.data[(y * 900 + x) * 3];
    for (const [k, p] of landmarks.entries()) {
      const found = centroid(pastedValue, p, 4 * SIGMA);
      worstPasted = Math.max(worstPasted, Math.hypot(found.x - p.x, found.y - p.y));
      assert.ok(Math.hypot(found.x - p.x, found.y - p.y) < 0.5, `pasted landmark ${k}: ${JSON.stringify(found)} vs ${JSON.stringify(p)}`);
    }
    console.log(`alignment round trip: aligned landmarks within ${worstAligned.toFixed(3)} px of the template, pasted back within ${worstPasted.toFixed(3)} px`);
  });
});
