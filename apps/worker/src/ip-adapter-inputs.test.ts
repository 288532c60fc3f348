import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESOLVED_GENERATION_VERSION, type ResolvedGeneration } from '@atelier/contracts';
import { encodePng, InvalidImageError, UnsupportedRequestError } from '@atelier/diffusion';
import { farmPolicies } from '@atelier/outbound';
import type { OnnxLocator } from './controlnet-folders.js';
import { IpAdapterPreparation, ipAdapterInfotext } from './ip-adapter-inputs.js';

const LIMITS = { image: { maxBytes: 1_000_000, maxSide: 256, maxPixels: 512 * 512 }, policy: farmPolicies({ OUTBOUND_ALLOWED_HOSTS: '', WEBHOOK_ALLOWED_HOSTS: '' }).images };

const picture = (width: number, height: number): string => encodePng(new Uint8Array(width * height * 3).fill(200), width, height).toString('base64');
const request = (ipAdapter: ResolvedGeneration['ip_adapter']): ResolvedGeneration => ({ v: RESOLVED_GENERATION_VERSION, model: 'm', width: 64, height: 64, samples: 1, ...(ipAdapter ? { ip_adapter: ipAdapter } : {}) }) as ResolvedGeneration;

describe('IpAdapterPreparation (worker: registry lookup and image prompts → pipeline conditioning)', () => {
  const asked: string[] = [];
  const locate: OnnxLocator = async (kind, name, tenant) => {
    asked.push(`${tenant}:${kind}:${name}`);
    return name === 'ip' ? { kind, name, origin: 'public', dir: '/cache/ip_adapters/ip', files: {}, facts: { base_family: 'sd1' }, manifest: undefined } : undefined;
  };
  const prep = new IpAdapterPreparation(locate, LIMITS);

  it("finds the adapter for the job's tenant, decodes every image and records the infotext; no image prompt, nothing", async () => {
    const prepared = await prep.prepare(request({ model: 'ip', images: [picture(32, 24), picture(16, 16)], scale: 0.5 }), 'alpha');
    assert.ok(prepared?.conditioning);
    assert.deepEqual(asked, ['alpha:ip_adapter:ip']);
    assert.deepEqual(ipAdapterInfotext(prepared), { 'IP-Adapter': 'Model: ip, Weight: 0.5, Images: 2' });
    assert.equal(await prep.prepare(request(undefined), 'alpha'), undefined);
    assert.deepEqual(ipAdapterInfotext(undefined), {});
  });

  it('names the field at fault: an adapter this worker lacks, an unreadable image, an image over the side limit', async () => {
    await assert.rejects(prep.prepare(request({ model: 'gone', images: [picture(8, 8)], scale: 1 }), 'alpha'), (error: unknown) => error instanceof UnsupportedRequestError && error.field === 'ip_adapter.model');
    const junk = Buffer.from('not an image at all').toString('base64');
    await assert.rejects(prep.prepare(request({ model: 'ip', images: [picture(8, 8), junk], scale: 1 }), 'alpha'), (error: unknown) => error instanceof InvalidImageError && error.field === 'ip_adapter.images.1');
    await assert.rejects(prep.prepare(request({ model: 'ip', images: [picture(300, 20)], scale: 1 }), 'alpha'), (error: unknown) => error instanceof InvalidImageError && error.field === 'ip_adapter.images.0' && /300×20/.test(error.message));
  });
});
