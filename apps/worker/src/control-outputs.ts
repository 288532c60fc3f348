import type { StoredOutput } from '@atelier/contracts';
import { encodeOutput } from '@atelier/diffusion';
import { hwc3 } from '@atelier/preprocessors';
import type { ControlMapOutput, PreparedControlNets } from './control-inputs.js';

/** sd-webui-controlnet's infotext entries: `ControlNet 0: "Module: canny, Model: canny, Weight: 1, …"`. */
export function controlInfotext(control: PreparedControlNets | undefined): Record<string, string> {
  const entries = (control?.maps ?? []).map(({ index, unit }) => [
    `ControlNet ${index}`,
    `Module: ${unit.preprocessor}, Model: ${unit.model}, Weight: ${unit.conditioning_scale}, Guidance Start: ${unit.guidance_start}, Guidance End: ${unit.guidance_end}, Control Mode: ${control?.guessMode ? 'ControlNet is more important' : 'Balanced'}`,
  ]);
  return Object.fromEntries(entries);
}

/**
 * Stores each preprocessed control map as a PNG output of kind `control` after the images
 * (`firstIndex` on), naming the ControlNet it steered, so users see what shaped the picture.
 */
export async function storeControlMaps(
  maps: readonly ControlMapOutput[],
  generationId: string,
  firstIndex: number,
  put: (key: string, bytes: Buffer, contentType: string) => Promise<void>,
): Promise<StoredOutput[]> {
  const outputs: StoredOutput[] = [];
  for (const [offset, { index, unit, map }] of maps.entries()) {
    const rgb = hwc3(map);
    const infotext = `ControlNet ${index}: ${unit.model}, preprocessor: ${unit.preprocessor}`;
    const encoded = await encodeOutput(rgb.data, rgb.width, rgb.height, 'png', 100, infotext);
    const key = `generations/${generationId}/control-${index}.png`;
    await put(key, encoded.bytes, encoded.contentType);
    outputs.push({
      index: firstIndex + offset,
      kind: 'control',
      controlnet: { index, model: unit.model, preprocessor: unit.preprocessor },
      key,
      seed: 0,
      width: rgb.width,
      height: rgb.height,
      content_type: encoded.contentType,
    });
  }
  return outputs;
}

