import { z } from 'zod';
import { imageReferenceSchema } from './image-reference.js';

/** How a control image becomes a control map; equals `@atelier/preprocessors`' PREPROCESSOR_KINDS (a worker test checks). */
export const CONTROLNET_PREPROCESSORS = ['none', 'canny', 'depth', 'openpose', 'scribble', 'softedge'] as const;
export type ControlNetPreprocessor = (typeof CONTROLNET_PREPROCESSORS)[number];

/** Preprocessors that run an ONNX model a worker must have under MODELS_DIR/preprocessors/<folder>/. */
export const PREPROCESSOR_MODEL_FOLDER: Readonly<Record<ControlNetPreprocessor, 'depth' | 'softedge' | 'openpose' | undefined>> = {
  none: undefined,
  canny: undefined,
  depth: 'depth',
  openpose: 'openpose',
  scribble: 'softedge',
  softedge: 'softedge',
};

export const MAX_CONTROLNETS = 4;

/** Preprocessor settings (controlnet_aux / A1111 names); absent ones take the preprocessor's defaults. */
export const preprocessorOptionsSchema = z
  .object({
    detect_resolution: z.number().int().min(64).max(2048).optional().describe('Short side the detector works at (default 512)'),
    image_resolution: z.number().int().min(64).max(2048).optional().describe("controlnet_aux's image_resolution (default: the generation's short side)"),
    low_threshold: z.number().min(0).max(2040).optional().describe('canny: low hysteresis threshold (default 100)'),
    high_threshold: z.number().min(0).max(2040).optional().describe('canny: high hysteresis threshold (default 200)'),
    safe: z.boolean().optional().describe("softedge/scribble: controlnet_aux's safe quantisation"),
    include_face: z.boolean().optional().describe('openpose: draw the face landmarks too'),
  })
  .strict();
export type PreprocessorOptions = z.infer<typeof preprocessorOptionsSchema>;

/** One ControlNet of a request (several = Multi-ControlNet: residuals summed). */
export const controlNetUnitSchema = z
  .object({
    model: z.string().min(1).max(200).describe('ControlNet name: a folder under the workers\' MODELS_DIR/controlnets/'),
    image: imageReferenceSchema.describe('Control image: URL, data: URL or base64; preprocessed unless preprocessor is none'),
    preprocessor: z.enum(CONTROLNET_PREPROCESSORS).default('none').describe('none: the image already is the control map'),
    preprocessor_options: preprocessorOptionsSchema.default({}),
    conditioning_scale: z.number().min(0).max(2).default(1).describe('Multiplies the ControlNet residuals'),
    guidance_start: z.number().min(0).max(1).default(0).describe('Fraction of the steps where the ControlNet starts acting'),
    guidance_end: z.number().min(0).max(1).default(1).describe('Fraction of the steps where it stops'),
  })
  .strict();
export type ControlNetUnit = z.infer<typeof controlNetUnitSchema>;

export const controlNetUnitsSchema = z.array(controlNetUnitSchema).min(1).max(MAX_CONTROLNETS).describe('ControlNets steering the generation (Multi-ControlNet when several)');

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void;
}

/** Rules across a unit's fields: the window is not empty, the canny thresholds are ordered. */
export function refineControlNets(request: { controlnets?: readonly ControlNetUnit[] }, context: IssueSink): void {
  for (const [index, unit] of (request.controlnets ?? []).entries()) {
    if (unit.guidance_start >= unit.guidance_end) {
      context.addIssue({ code: 'custom', path: ['controlnets', index, 'guidance_start'], message: `must be less than guidance_end (${unit.guidance_start} ≥ ${unit.guidance_end})` });
    }
    const { low_threshold: low, high_threshold: high } = unit.preprocessor_options;
    if ((low ?? 100) > (high ?? 200)) {
      context.addIssue({ code: 'custom', path: ['controlnets', index, 'preprocessor_options', 'low_threshold'], message: `must not exceed high_threshold (${low ?? 100} > ${high ?? 200})` });
    }
  }
}
