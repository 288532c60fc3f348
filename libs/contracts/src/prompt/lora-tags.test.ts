import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractLoraTags, LoraTagError } from './lora-tags.js';

describe('extractLoraTags', () => {
  it('takes a tag with a weight out of the prompt', () => {
    assert.deepEqual(extractLoraTags('<lora:myStyle:0.8> masterpiece, best quality'), {
      prompt: 'masterpiece, best quality',
      loras: [{ name: 'myStyle', weight: 0.8 }],
    });
  });

  it('defaults the weight to 1 and keeps the order of several tags', () => {
    assert.deepEqual(extractLoraTags('a <lora:first> cat <lora:second:-0.5>'), {
      prompt: 'a  cat',
      loras: [
        { name: 'first', weight: 1 },
        { name: 'second', weight: -0.5 },
      ],
    });
  });

  it('accepts names with spaces and dots, any case of "lora", and padded weights', () => {
    assert.deepEqual(extractLoraTags('<LoRA:my lora v1.5: .7 >x').loras, [{ name: 'my lora v1.5', weight: 0.7 }]);
    assert.deepEqual(extractLoraTags('<lora:x:1e-1>').loras, [{ name: 'x', weight: 0.1 }]);
  });

  it('returns the prompt untouched when there are no tags, other extra networks included', () => {
    assert.deepEqual(extractLoraTags('<hypernet:h:1> a cat'), { prompt: '<hypernet:h:1> a cat', loras: [] });
  });

  it('rejects weights that are not numbers with a typed error naming the tag', () => {
    for (const tag of ['<lora:x:abc>', '<lora:x:>', '<lora:x:1.2.3>', '<lora:x:inf>', '<lora:x:NaN>']) {
      assert.throws(
        () => extractLoraTags(`a ${tag} b`),
        (error: unknown) => error instanceof LoraTagError && error.tag === tag && error.message.includes(tag) && /weight/.test(error.message),
        tag,
      );
    }
  });

  it('rejects an empty name and extra fields', () => {
    assert.throws(() => extractLoraTags('<lora::1>'), /name is empty/);
    assert.throws(() => extractLoraTags('<lora:x:1:0.5>'), (error: unknown) => error instanceof LoraTagError && /<lora:name:weight>/.test(error.message));
  });

  it('reads a catalog id `lora:<name>` (a training’s model_id) as that LoRA where it parses one way only', () => {
    assert.deepEqual(extractLoraTags('a <lora:lora:zxq-checker-1a2b:0.8> cat').loras, [{ name: 'zxq-checker-1a2b', weight: 0.8 }]);
    assert.deepEqual(extractLoraTags('<lora:lora:zxq-checker>').loras, [{ name: 'zxq-checker', weight: 1 }]);
    // Two fields whose second is a weight: the LoRA named "lora", as before.
    assert.deepEqual(extractLoraTags('<lora:lora:0.5>').loras, [{ name: 'lora', weight: 0.5 }]);
    assert.throws(() => extractLoraTags('<lora:lora:x:abc>'), /weight/);
    assert.throws(() => extractLoraTags('<lora:lora::1>'), /name is empty/);
  });
});
