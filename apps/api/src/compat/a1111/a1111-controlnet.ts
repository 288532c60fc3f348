import { z } from 'zod';
import { MAX_CONTROLNETS, type ControlNetPreprocessor, type GenerationRequestInput } from '@atelier/contracts';
import type { FieldProblem } from '../../common/api-error.js';
import type { FieldNames } from '../field-names.js';

/** sd-webui-controlnet preprocessor (`module`) names → Atelier preprocessor and options. */
const MODULES: Readonly<Record<string, { preprocessor: ControlNetPreprocessor; options?: { safe?: boolean; include_face?: boolean } }>> = {
  none: { preprocessor: 'none' },
  canny: { preprocessor: 'canny' },
  depth: { preprocessor: 'depth' },
  depth_midas: { preprocessor: 'depth' },
  depth_anything: { preprocessor: 'depth' },
  depth_anything_v2: { preprocessor: 'depth' },
  openpose: { preprocessor: 'openpose' },
  dw_openpose: { preprocessor: 'openpose' },
  openpose_face: { preprocessor: 'openpose', options: { include_face: true } },
  scribble_hed: { preprocessor: 'scribble' },
  scribble_pidinet: { preprocessor: 'scribble' },
  softedge_hed: { preprocessor: 'softedge' },
  softedge_pidinet: { preprocessor: 'softedge' },
  softedge_hedsafe: { preprocessor: 'softedge', options: { safe: true } },
  softedge_pidisafe: { preprocessor: 'softedge', options: { safe: true } },
};

const BALANCED = [0, 'Balanced'];
const CONTROLNET_MORE_IMPORTANT = [2, 'ControlNet is more important'];
const JUST_RESIZE = [0, 'Just Resize'];

/**
 * One sd-webui-controlnet unit as its API takes it. Fields that change nothing here (memory
 * settings, whether the map is saved: it always is) are accepted; any other field is a 400 naming it.
 */
const unitSchema = z
  .object({
    enabled: z.boolean().nullish(),
    module: z.string().nullish(),
    model: z.string().nullish(),
    weight: z.number().nullish(),
    image: z.union([z.string(), z.object({ image: z.string(), mask: z.string().nullish() }).strict()]).nullish(),
    input_image: z.string().nullish().describe('Older name of image'),
    resize_mode: z.union([z.number().int(), z.string()]).nullish(),
    low_vram: z.boolean().nullish(),
    lowvram: z.boolean().nullish(),
    processor_res: z.number().int().nullish(),
    threshold_a: z.number().nullish(),
    threshold_b: z.number().nullish(),
    guidance_start: z.number().nullish(),
    guidance_end: z.number().nullish(),
    pixel_perfect: z.boolean().nullish(),
    control_mode: z.union([z.number().int(), z.string()]).nullish(),
    guessmode: z.boolean().nullish().describe('Older name of control_mode "ControlNet is more important"'),
    save_detected_map: z.boolean().nullish(),
  })
  .strict();
export type A1111ControlNetUnit = z.infer<typeof unitSchema>;

/** `alwayson_scripts`: only the ControlNet extension; `{}` (no scripts) stays accepted. */
export const alwaysOnScriptsSchema = z
  .object({ controlnet: z.object({ args: z.array(unitSchema).max(16) }).strict().nullish() })
  .strict()
  .describe('Only the ControlNet extension (sd-webui-controlnet units); other extensions are refused');

/** "control_v11p_sd15_canny [d14c016b]" or "…canny.safetensors" → "control_v11p_sd15_canny". */
export function controlNetName(title: string): string {
  return title
    .replace(/\s*\[[0-9a-f]+\]$/i, '')
    .replace(/\.(safetensors|pth|ckpt|bin|onnx)$/i, '')
    .trim();
}

/** sd-webui-controlnet's IP-Adapter preprocessors (ip-adapter_clip_sd15, ip-adapter_clip_sdxl, ip-adapter-auto, …_plus_vith…). */
export function isIpAdapterModule(module: string | null | undefined): boolean {
  return /^ip-adapter[_-]/i.test(module ?? '');
}

export interface A1111ControlNets {
  readonly request: Pick<GenerationRequestInput, 'controlnets' | 'guess_mode' | 'ip_adapter'>;
  /** Native field → the unit field the caller sent, for errors the resolver reports. */
  readonly fieldNames: FieldNames;
}

/**
 * The enabled units as native `controlnets`. `control_mode` "ControlNet is more important" is
 * diffusers' guess mode (request-wide here, so every enabled unit must agree); "My prompt is
 * more important" (the extension's per-layer soft weights) has no counterpart and is refused.
 */
export function toControlNets(units: readonly A1111ControlNetUnit[], size: { width?: number | null; height?: number | null }, problems: FieldProblem[]): A1111ControlNets {
  const controlnets: NonNullable<GenerationRequestInput['controlnets']> = [];
  const fieldNames: Record<string, string> = {};
  const modes = new Set<boolean>();
  let ipAdapter: GenerationRequestInput['ip_adapter'];
  for (const [argIndex, unit] of units.entries()) {
    if (unit.enabled === false) continue;
    const at = `alwayson_scripts.controlnet.args.${argIndex}`;
    if (isIpAdapterModule(unit.module)) {
      // An IP-Adapter unit is an image prompt, not a ControlNet: it maps onto ip_adapter (one at most).
      if (ipAdapter) problems.push({ field: at, message: 'at most one enabled IP-Adapter unit' });
      const picture = typeof unit.image === 'string' ? unit.image : (unit.image?.image ?? unit.input_image);
      const model = unit.model ? controlNetName(unit.model) : '';
      if (!model || model.toLowerCase() === 'none') problems.push({ field: `${at}.model`, message: "an IP-Adapter unit needs an IP-Adapter model (a registry ip_adapter or a folder under the workers' MODELS_DIR/ip-adapters/)" });
      if (!picture) problems.push({ field: `${at}.image`, message: 'an enabled unit needs an image' });
      if (ipAdapter || !model || !picture) continue;
      ipAdapter = { model, images: [picture], ...(unit.weight !== undefined && unit.weight !== null ? { scale: unit.weight } : {}) };
      for (const [from, to] of [['', ''], ['.model', '.model'], ['.images', '.image'], ['.images.0', '.image'], ['.scale', '.weight']]) fieldNames[`ip_adapter${from}`] = `${at}${to}`;
      continue;
    }
    const module = MODULES[(unit.module ?? 'none').toLowerCase()];
    if (!module) problems.push({ field: `${at}.module`, message: `preprocessor "${unit.module}" is not supported; use one of ${Object.keys(MODULES).join(', ')}` });
    const model = unit.model ? controlNetName(unit.model) : '';
    if (!model || model.toLowerCase() === 'none') problems.push({ field: `${at}.model`, message: 'an enabled unit needs a ControlNet model (a folder under the workers\' MODELS_DIR/controlnets/)' });
    const picture = typeof unit.image === 'string' ? unit.image : (unit.image?.image ?? unit.input_image);
    if (!picture) problems.push({ field: `${at}.image`, message: 'an enabled unit needs an image' });
    if (typeof unit.image === 'object' && unit.image?.mask) problems.push({ field: `${at}.image.mask`, message: 'ControlNet masks are not supported' });
    if (unit.resize_mode !== undefined && unit.resize_mode !== null && !JUST_RESIZE.includes(unit.resize_mode)) {
      problems.push({ field: `${at}.resize_mode`, message: 'only "Just Resize" (0) is supported: the control image is stretched to the generation size' });
    }
    const mode = unit.control_mode ?? (unit.guessmode ? 2 : 0);
    if (CONTROLNET_MORE_IMPORTANT.includes(mode)) modes.add(true);
    else if (BALANCED.includes(mode)) modes.add(false);
    else problems.push({ field: `${at}.control_mode`, message: `"${mode}" is not supported; use "Balanced" (0) or "ControlNet is more important" (2, guess mode)` });
    if (!module || !model || !picture) continue;
    const index = controlnets.length;
    const native = `controlnets.${index}`;
    for (const [from, to] of [
      ['', ''],
      ['.model', '.model'],
      ['.image', '.image'],
      ['.preprocessor', '.module'],
      ['.conditioning_scale', '.weight'],
      ['.guidance_start', '.guidance_start'],
      ['.guidance_end', '.guidance_end'],
      ['.preprocessor_options.low_threshold', '.threshold_a'],
      ['.preprocessor_options.high_threshold', '.threshold_b'],
      ['.preprocessor_options.detect_resolution', '.processor_res'],
    ]) {
      fieldNames[`${native}${from}`] = `${at}${to}`;
    }
    const pixelPerfect = unit.pixel_perfect && size.width && size.height ? Math.min(size.width, size.height) : undefined;
    const detect = pixelPerfect ?? (unit.processor_res !== undefined && unit.processor_res !== null && unit.processor_res > 0 ? unit.processor_res : undefined);
    // The extension's API sends -1 (older versions 64) for thresholds a module does not use; only canny reads them here.
    const thresholds =
      module.preprocessor === 'canny'
        ? { ...(unit.threshold_a !== undefined && unit.threshold_a !== null && unit.threshold_a >= 0 ? { low_threshold: unit.threshold_a } : {}), ...(unit.threshold_b !== undefined && unit.threshold_b !== null && unit.threshold_b >= 0 ? { high_threshold: unit.threshold_b } : {}) }
        : {};
    controlnets.push({
      model,
      image: picture,
      preprocessor: module.preprocessor,
      preprocessor_options: { ...module.options, ...thresholds, ...(detect !== undefined ? { detect_resolution: detect } : {}) },
      ...(unit.weight !== undefined && unit.weight !== null ? { conditioning_scale: unit.weight } : {}),
      ...(unit.guidance_start !== undefined && unit.guidance_start !== null ? { guidance_start: unit.guidance_start } : {}),
      ...(unit.guidance_end !== undefined && unit.guidance_end !== null ? { guidance_end: unit.guidance_end } : {}),
    });
  }
  if (modes.size > 1) problems.push({ field: 'alwayson_scripts.controlnet.args', message: 'every enabled unit must use the same control_mode (guess mode applies to the whole generation here)' });
  if (controlnets.length > MAX_CONTROLNETS) problems.push({ field: 'alwayson_scripts.controlnet.args', message: `at most ${MAX_CONTROLNETS} enabled units` });
  const request = { ...(controlnets.length > 0 ? { controlnets, guess_mode: modes.has(true) } : {}), ...(ipAdapter ? { ip_adapter: ipAdapter } : {}) };
  return { request, fieldNames };
}
