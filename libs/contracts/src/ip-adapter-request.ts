import { z } from 'zod';
import { imageReferenceSchema } from './image-reference.js';

export const MAX_IP_ADAPTER_IMAGES = 4;

/** An image prompt (IP-Adapter): the adapter, its images (tokens concatenated in order), the attention scale. */
export const ipAdapterRequestSchema = z
  .object({
    model: z.string().min(1).max(200).describe("IP-Adapter name: a registry ip_adapter or a folder under the workers' MODELS_DIR/ip-adapters/"),
    images: z.array(imageReferenceSchema).min(1).max(MAX_IP_ADAPTER_IMAGES).describe('Image prompts: URL, data: URL or base64 (1–4; several are concatenated as diffusers does)'),
    scale: z.number().min(0).max(2).default(1).describe('Image-prompt attention scale; 0 is exactly no adapter'),
  })
  .strict()
  .describe('IP-Adapter image prompt; the model needs a UNet exported with image attention (ip_unet/, ip_controlnet/ with controlnets)');
export type IpAdapterRequest = z.infer<typeof ipAdapterRequestSchema>;
