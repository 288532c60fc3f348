import { ErrorCode, HIRES_LATENT_UPSCALERS, type ResolvedHires } from '@atelier/contracts';
import { toRgb8, type HiresFix, type RgbImage } from '@atelier/diffusion';
import { upscale, UpscalerModel } from '@atelier/upscaling';
import sharp from 'sharp';
import { ChainedStepError } from './chained-step-error.js';
import { asCancel, type LocateOnnx } from './decoded-image-steps.js';

/**
 * The pipeline's hires fix settings for a resolved `hires`: latent modes as they are, an upscaler
 * model name as an image upscaler (the model's output resized to the second pass size with
 * Lanczos, as A1111 does). `release` frees the model's session after the job.
 */
export async function hiresFixFor(hires: ResolvedHires, locate: LocateOnnx, signal: AbortSignal | undefined): Promise<{ fix: HiresFix; release: () => Promise<void> }> {
  const settings = { width: hires.width, height: hires.height, strength: hires.strength, steps: hires.steps };
  if ((HIRES_LATENT_UPSCALERS as readonly string[]).includes(hires.upscaler)) {
    return { fix: { ...settings, upscaler: hires.upscaler as 'latent' | 'latent-nearest' }, release: async () => undefined };
  }
  const file = (await locate('upscaler', hires.upscaler))?.files.model;
  if (!file) throw new ChainedStepError(ErrorCode.UnknownModel, `upscaler "${hires.upscaler}" is not on this worker`);
  const model = await UpscalerModel.open(file).catch((error: unknown) => {
    throw asCancel(error, signal);
  });
  const upscaleImage = async (image: RgbImage, width: number, height: number): Promise<RgbImage> => {
    const upscaled = await upscale({ width: image.width, height: image.height, channels: 3, data: toRgb8(image.data) }, model, { signal }).catch((error: unknown) => {
      throw asCancel(error, signal);
    });
    const resized = await sharp(upscaled.data, { raw: { width: upscaled.width, height: upscaled.height, channels: upscaled.channels } })
      .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
      .removeAlpha()
      .raw()
      .toBuffer();
    return { width, height, data: Float32Array.from(resized, (value) => value / 255) };
  };
  return { fix: { ...settings, upscaler: { upscaleImage } }, release: () => model.release() };
}
