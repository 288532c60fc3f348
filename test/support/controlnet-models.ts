import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodePng } from '@atelier/diffusion';
import { sharedFixture } from '@atelier/testing';

/**
 * A MODELS_DIR as an operator lays it out for ControlNet: the tiny SD 1.x export of
 * ../shared/fixtures/controlnet-tiny-onnx with its residual UNet (`cn-tiny`), two SD 1.x
 * ControlNets (`canny` with a conditioning_scale input, `depth` without) and an SDXL one
 * (`canny-xl`) under controlnets/. The tiny SD 1.x nets attend to 32-wide text, which names no
 * family, so their config.json states `base_family: sd1` as an operator would (the registry's
 * rule for MODELS_DIR folders). The caller removes the folder.
 */
export async function controlNetModelsDir(): Promise<string> {
  const fixture = sharedFixture('controlnet-tiny-onnx');
  const dir = await mkdtemp(path.join(tmpdir(), 'atelier-cn-models-'));
  await cp(path.join(fixture, 'model'), path.join(dir, 'cn-tiny'), { recursive: true });
  await cp(path.join(fixture, 'controlnets', 'canny'), path.join(dir, 'controlnets', 'canny'), { recursive: true });
  await cp(path.join(fixture, 'controlnets', 'depth-noscale'), path.join(dir, 'controlnets', 'depth'), { recursive: true });
  await cp(path.join(fixture, 'sdxl', 'controlnets', 'canny'), path.join(dir, 'controlnets', 'canny-xl'), { recursive: true });
  for (const name of ['canny', 'depth']) await stateFamily(path.join(dir, 'controlnets', name, 'config.json'), 'sd1');
  return dir;
}

/** Adds `base_family` to a ControlNet's config.json (tiny exports have no standard text width). */
export async function stateFamily(configFile: string, family: 'sd1' | 'sd2' | 'sdxl'): Promise<void> {
  const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  await writeFile(configFile, JSON.stringify({ ...config, base_family: family }, null, 2));
}

/** A 64×64 picture with hard edges for canny: an orange field with a navy square and a white bar. */
export function edgePicture(): Buffer {
  const rgb = new Uint8Array(64 * 64 * 3);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const square = x >= 16 && x < 40 && y >= 12 && y < 36;
      const bar = y >= 46 && y < 52 && x >= 8;
      rgb.set(square ? [0, 0, 128] : bar ? [255, 255, 255] : [255, 128, 0], (y * 64 + x) * 3);
    }
  }
  return encodePng(rgb, 64, 64);
}
