import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpAdapterFlag } from './ip-adapter-flag.js';

describe('--ip-adapter model=…,image=…,scale=…', () => {
  it('maps onto ip_adapter: images in order (repeatable, files read), scale only when given', () => {
    assert.deepEqual(parseIpAdapterFlag('model=ip-sd15,image=https://example.com/a.png', (value) => value), { model: 'ip-sd15', images: ['https://example.com/a.png'] });
    assert.deepEqual(parseIpAdapterFlag('model=ip-sd15, image=a.png ,image=b.png,scale=0.6', (value) => `read:${value}`), { model: 'ip-sd15', images: ['read:a.png', 'read:b.png'], scale: 0.6 });
  });

  it('refuses unknown or repeated keys, a missing model or image and a scale that is not a number', () => {
    const read = (value: string): string => value;
    assert.throws(() => parseIpAdapterFlag('model=ip,image=a.png,weight=1', read), /"weight=1" is not one of model=…/);
    assert.throws(() => parseIpAdapterFlag('model=ip,model=other,image=a.png', read), /model given twice/);
    assert.throws(() => parseIpAdapterFlag('model=ip', read), /needs model=NAME and image=FILE\|URL/);
    assert.throws(() => parseIpAdapterFlag('image=a.png', read), /needs model=NAME/);
    assert.throws(() => parseIpAdapterFlag('model=ip,image=a.png,scale=NaN', read), /scale=NaN: expected a number/);
  });
});
