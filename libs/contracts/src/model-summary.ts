import { z } from 'zod';

/**
 * A pipeline model as workers announce it and `GET /v1/models` lists it. The variant fields and
 * the step / guidance defaults default to a plain model's, so heartbeats of workers that predate
 * them still parse.
 */
export const modelSummarySchema = z.object({
  id: z.string(),
  family: z.string(),
  /** Distilled / few-step variant read from the files: ssd-1b, vega, sdxl-turbo, sd-turbo, lcm. */
  variant: z.string().nullable().default(null),
  /** What the variant was read from ("unet/config.json time_cond_proj_dim=256", "model_index.json _name_or_path=…"). */
  variant_evidence: z.string().nullable().default(null),
  prediction_type: z.string(),
  default_width: z.number().int(),
  default_height: z.number().int(),
  default_scheduler: z.string(),
  default_steps: z.number().int().positive().default(25),
  default_guidance_scale: z.number().min(0).default(7.5),
  timestep_spacing: z.string().optional(),
  size_multiple: z.number().int(),
  refiner: z.string().nullable(),
  inpainting: z.boolean(),
  /** It has a residual-accepting UNet (`controlnet/` or `cnet/`): ControlNets can steer it. Absent from older workers' announcements. */
  controlnet: z.boolean().default(false),
  /** It has a UNet exported with IP-Adapter image attention (`ip_unet/`): image prompts can steer it. */
  ip_unet: z.boolean().default(false),
  /** It has one that also takes ControlNet residuals (`ip_controlnet/`): IP-Adapter + ControlNet. */
  ip_controlnet: z.boolean().default(false),
  /** Width of the text features its UNet attends to (768 SD 1.x, 1024 SD 2.x, 2048 SDXL); null when unknown. */
  cross_attention_dim: z.number().int().positive().nullable().default(null),
  description: z.string(),
});
export type ModelSummary = z.infer<typeof modelSummarySchema>;
