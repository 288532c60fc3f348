// Prompt validation, the two layouts' prompt encodings and SAM's single-answer rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SegmentationError } from './errors.js';
import { officialPoints, transformersPoints } from './prompt-encoding.js';
import { parsePrompts } from './prompts.js';
import { detectDecoderLayout, officialBest } from './sam-decoder.js';
import { parseSegmentOptions } from './segment-options.js';

const size = { width: 512, height: 256 };

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SegmentationError);
    assert.equal(error.code, 'invalid_segmentation_prompt');
    return error.field;
  }
  assert.fail('expected a SegmentationError');
}

describe('segmentation prompts', () => {
  it('validates prompts, naming the field at fault', () => {
    assert.equal(fieldOf(() => parsePrompts({}, size)), 'prompts');
    assert.equal(fieldOf(() => parsePrompts({ points: [{ x: 1, y: 'a' }] }, size)), 'prompts.points[0].y');
    assert.equal(fieldOf(() => parsePrompts({ points: [{ x: 1, y: 2 }, { x: 600, y: 2 }] }, size)), 'prompts.points[1]');
    assert.equal(fieldOf(() => parsePrompts({ boxes: [{ x0: 10, y0: 10, x1: 5, y1: 20 }] }, size)), 'prompts.boxes[0]');
    assert.equal(fieldOf(() => parsePrompts({ boxes: [{ x0: 0, y0: 0, x1: 5, y1: 5 }, { x0: 0, y0: 0, x1: 5, y1: 5 }] }, size)), 'prompts.boxes');
    assert.equal(fieldOf(() => parsePrompts({ points: [{ x: 1, y: 2, label: 'maybe' }] }, size)), 'prompts.points[0].label');
    assert.equal(fieldOf(() => parsePrompts({ points: [{ x: 1, y: 2 }], extra: 1 }, size)), 'prompts');
    assert.equal(fieldOf(() => parseSegmentOptions({ output: 'some' })), 'options.output');
    assert.deepEqual(parsePrompts({ points: [{ x: 512, y: 256 }] }, size).points, [{ x: 512, y: 256, label: 'positive' }]);
  });

  it('official layout: clicks in the 1024 frame, then a padding point labelled -1 when there is no box', () => {
    const prompts = parsePrompts({ points: [{ x: 256, y: 128 }, { x: 10, y: 20, label: 'negative' }] }, size);
    const encoded = officialPoints(prompts, size);
    assert.deepEqual(Array.from(encoded.coords), [512, 256, 20, 40, 0, 0]);
    assert.deepEqual(encoded.labels, [1, 0, -1]);
  });

  it('official layout: a box is two corner points labelled 2 and 3, after the clicks, with no padding', () => {
    const prompts = parsePrompts({ points: [{ x: 100, y: 50 }], boxes: [{ x0: 10, y0: 20, x1: 300, y1: 200 }] }, size);
    const encoded = officialPoints(prompts, size);
    assert.deepEqual(Array.from(encoded.coords), [200, 100, 20, 40, 600, 400]);
    assert.deepEqual(encoded.labels, [1, 2, 3]);
  });

  it('transformers.js layout: clicks only, no padding point (its graph pads)', () => {
    const encoded = transformersPoints(parsePrompts({ points: [{ x: 100, y: 50, label: 'negative' }] }, size), size);
    assert.deepEqual(Array.from(encoded.coords), [200, 100]);
    assert.deepEqual(encoded.labels, [0]);
  });

  it('SamOnnxModel.select_masks: multimask best for one click or a box, the single-mask output for more points', () => {
    const scores = [0.95, 0.6, 0.9, 0.7];
    assert.equal(officialBest(scores, 2), 2);
    assert.equal(officialBest(scores, 3), 0);
    assert.equal(officialBest([0.2, 0.6, 0.9, 0.7], 3), 0);
  });

  it('detects the decoder layout from input names', () => {
    assert.equal(detectDecoderLayout(['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size']), 'official');
    assert.equal(detectDecoderLayout(['image_embeddings', 'image_positional_embeddings', 'input_points', 'input_labels']), 'transformers');
    assert.equal(detectDecoderLayout(['image_embeddings', 'point_coords']), null);
  });
});
