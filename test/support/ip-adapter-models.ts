import path from 'node:path';
import { encodePng } from '@atelier/diffusion';
import { syntheticRgb8, writeIpAdapterFolder, writeIpPipelineFolder } from '@atelier/diffusion/testing';
import { sharedFixture } from '@atelier/testing';
import { controlNetModelsDir } from './controlnet-models.js';

/**
 * controlNetModelsDir plus what image prompts need, written by the pipeline library's test graph
 * writers: `cn-ip` (the tiny SD 1.x export with `ip_unet/` and `ip_controlnet/` rewritten from its
 * UNets: dynamic sequence, `ipadapter_scale` input), and IP-Adapters under ip-adapters/:
 * `ip-tiny` (SD 1.x, 32-wide tokens as the tiny UNet attends to) and `ip-xl` (SDXL). `cn-tiny`
 * has no image-attention UNet. The caller removes the folder.
 */
export async function ipAdapterModelsDir(): Promise<string> {
  const dir = await controlNetModelsDir();
  await writeIpPipelineFolder(path.join(sharedFixture('controlnet-tiny-onnx'), 'model'), path.join(dir, 'cn-ip'), { imageTokens: 'dynamic', scaleInput: true });
  await writeIpAdapterFolder(path.join(dir, 'ip-adapters', 'ip-tiny'), IP_TINY);
  await writeIpAdapterFolder(path.join(dir, 'ip-adapters', 'ip-xl'), { width: 64, tokens: 4, plus: false, family: 'sdxl' });
  return dir;
}

/** The graphs of `ip-tiny` (the writers are deterministic: the same options write the same bytes). */
export const IP_TINY = { width: 32, tokens: 4, plus: false, family: 'sd15' } as const;

/** A 64×64 PNG image prompt; each variant is a different picture. */
export function promptPicture(variant: number): Buffer {
  const image = syntheticRgb8(64, 64, variant);
  return encodePng(image.data, image.width, image.height);
}
