import type { IpAdapterRequest, ResolvedGeneration } from '@atelier/contracts';
import { decodeIpImage, InvalidImageError, ipAdapterConditioning, IpAdapterError, UnsupportedRequestError, type ConditioningProvider, type RgbImage } from '@atelier/diffusion';
import type { OnnxLocator } from './controlnet-folders.js';
import type { InputLimits } from './generation-inputs.js';
import { fetchImageBytes } from './image-source.js';

/** A request's image prompt as the pipeline's conditioning, and what the infotext records of it. */
export interface PreparedIpAdapter {
  readonly conditioning: ConditioningProvider;
  readonly request: IpAdapterRequest;
}

/**
 * The request's IP-Adapter: its folder found through the registry lookup (the tenant's private
 * adapter, then public, then MODELS_DIR/ip-adapters/), each image fetched with init_image's rules
 * (same outbound guard and byte limit), decoded as the library decodes image prompts and held to
 * the source-image side limit. The UNet export and the family are checked by the library.
 */
export class IpAdapterPreparation {
  constructor(
    private readonly locate: OnnxLocator,
    private readonly limits: InputLimits,
  ) {}

  async prepare(request: ResolvedGeneration, tenant: string): Promise<PreparedIpAdapter | undefined> {
    const adapter = request.ip_adapter;
    if (!adapter) return undefined;
    const located = await this.locate('ip_adapter', adapter.model, tenant);
    if (!located) throw new UnsupportedRequestError('ip_adapter.model', `IP-Adapter "${adapter.model}" is not on this worker`);
    const download = { policy: this.limits.policy, maxBytes: this.limits.image.maxBytes, resolve: this.limits.resolve };
    const images: RgbImage[] = [];
    for (const [index, reference] of adapter.images.entries()) {
      const field = `ip_adapter.images.${index}`;
      const decoded = await decodeIpImage(await fetchImageBytes(reference, field, download), field).catch((error: unknown) => {
        // An unreadable image prompt is the client's bad image, like an unreadable init_image.
        if (error instanceof IpAdapterError && error.code === 'ip_adapter_image_invalid') throw new InvalidImageError(field, 'is not a readable image (png, jpeg or webp)');
        throw error;
      });
      if (decoded.width > this.limits.image.maxSide || decoded.height > this.limits.image.maxSide) {
        throw new InvalidImageError(field, `is ${decoded.width}×${decoded.height}; the limit is ${this.limits.image.maxSide} pixels per side`);
      }
      // 8-bit values as the library's float RGB (it rounds them back to the same bytes).
      images.push({ width: decoded.width, height: decoded.height, data: Float32Array.from(decoded.data, (value) => value / 255) });
    }
    return { conditioning: ipAdapterConditioning({ model: located.dir, images, scale: adapter.scale, field: 'ip_adapter' }), request: adapter };
  }
}

/** The infotext entry of an image prompt (A1111 records ControlNet-extension IP-Adapter units alike). */
export function ipAdapterInfotext(prepared: PreparedIpAdapter | undefined): Record<string, string> {
  if (!prepared) return {};
  const { model, scale, images } = prepared.request;
  return { 'IP-Adapter': `Model: ${model}, Weight: ${scale}, Images: ${images.length}` };
}
