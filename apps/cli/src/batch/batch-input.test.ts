import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBatchInput, requestHash } from './batch-input.js';

describe('batch input (JSONL)', () => {
  it('takes objects, JSON strings and plain text, numbering lines as in the file', () => {
    const lines = parseBatchInput('{"prompt":"a red circle","seed":1}\n\n"a blue square"\r\na green ring\n', { img_width: 64 });
    assert.deepEqual(
      lines.map((line) => (line.ok ? [line.line, line.request] : [line.line, line.error])),
      [
        [1, { img_width: 64, prompt: 'a red circle', seed: 1 }],
        [3, { img_width: 64, prompt: 'a blue square' }],
        [4, { img_width: 64, prompt: 'a green ring' }],
      ],
    );
  });

  it("lets a line's own fields win over the defaults", () => {
    const [line] = parseBatchInput('{"prompt":"x","img_width":128}', { img_width: 64, num_inference_steps: 2 });
    assert.ok(line.ok);
    assert.deepEqual(line.request, { img_width: 128, num_inference_steps: 2, prompt: 'x' });
  });

  it('reports broken lines with their line number instead of failing the file', () => {
    const lines = parseBatchInput('{"prompt": "ok"}\n{"prompt": \n[1,2]\n42');
    assert.equal(lines.length, 4);
    assert.equal(lines[0].ok, true);
    assert.deepEqual(
      lines.slice(1).map((line) => [line.line, line.ok]),
      [
        [2, false],
        [3, false],
        [4, true],
      ],
    );
    assert.match(lines[1].ok ? '' : lines[1].error, /not valid JSON/);
    assert.match(lines[2].ok ? '' : lines[2].error, /expected a JSON object/);
  });

  it('hashes what a line asks for, independent of key order, so edits are noticed', () => {
    assert.equal(requestHash({ a: 1, b: { c: 2, d: 3 } }), requestHash({ b: { d: 3, c: 2 }, a: 1 }));
    const [first] = parseBatchInput('{"prompt":"x","seed":1}');
    const [reordered] = parseBatchInput('{"seed":1,"prompt":"x"}');
    const [edited] = parseBatchInput('{"seed":2,"prompt":"x"}');
    const [withDefault] = parseBatchInput('{"seed":1,"prompt":"x"}', { num_inference_steps: 3 });
    assert.equal(first.hash, reordered.hash);
    assert.notEqual(first.hash, edited.hash);
    assert.notEqual(first.hash, withDefault.hash, 'changed defaults change the request');
  });
});
