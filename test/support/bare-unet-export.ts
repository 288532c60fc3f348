import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { onnx } from '@atelier/onnx-graph';
import { sharedFixture } from '@atelier/testing';

/**
 * Rewrites an ONNX export traced through a wrapper module (`self.u = unet`) so its node and
 * initializer names read as an Optimum export of the bare model: "/u/down_blocks.0/…" becomes
 * "/down_blocks.0/…" and "u.mid_block.…" becomes "mid_block.…", the names LoRA keys address.
 * Only names change; the computation is the same graph.
 */
export async function stripWrapperName(modelFile: string, wrapper: string): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(modelFile));
  const graph = model.graph;
  if (!graph) throw new Error(`${modelFile} has no graph`);
  const renamed = new Map<string, string>();
  for (const tensor of graph.initializer ?? []) {
    if (tensor.name?.startsWith(`${wrapper}.`)) {
      const bare = tensor.name.slice(wrapper.length + 1);
      renamed.set(tensor.name, bare);
      tensor.name = bare;
    }
  }
  for (const node of graph.node ?? []) {
    if (node.name?.startsWith(`/${wrapper}/`)) node.name = node.name.slice(wrapper.length + 1);
    node.input = (node.input ?? []).map((input) => renamed.get(input) ?? input);
  }
  await writeFile(modelFile, onnx.ModelProto.encode(model).finish());
}

/**
 * A servable SD 1.x folder whose UNet LoRA keys reach: the tiny SD 1.x pipeline of
 * ../shared/fixtures/controlnet-tiny-onnx (real diffusers layer names, traced through a wrapper
 * named `u`) without its residual ControlNet UNet, the UNet's names made bare.
 */
export async function bareSd1Export(target: string): Promise<string> {
  const source = path.join(sharedFixture('controlnet-tiny-onnx'), 'model');
  for (const entry of await readdir(source)) {
    if (entry !== 'controlnet') await cp(path.join(source, entry), path.join(target, entry), { recursive: true });
  }
  await stripWrapperName(path.join(target, 'unet', 'model.onnx'), 'u');
  return target;
}
