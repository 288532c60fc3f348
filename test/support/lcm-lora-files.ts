import { readFile } from 'node:fs/promises';
import { float32Tensor, serializeSafetensors, type TensorEntry } from '@atelier/model-formats';

/** The parts of a diffusers unet/config.json that decide where its transformer layers are. */
interface UnetLayout {
  block_out_channels: number[];
  cross_attention_dim: number;
  layers_per_block: number;
  down_block_types: string[];
  up_block_types: string[];
  mid_block_type?: string | null;
  transformer_layers_per_block: number | number[];
  reverse_transformer_layers_per_block?: number[][] | null;
}

/** One linear layer a LoRA adapts: its diffusers module path and PyTorch [out, in] shape. */
export interface LinearLayer {
  readonly module: string;
  readonly out: number;
  readonly in: number;
}

/**
 * Every attention projection (to_q, to_k, to_v, to_out.0 of attn1 and attn2) of every transformer
 * layer, read from the UNet's config the way diffusers builds the blocks — the layers the published
 * LCM-LoRAs (latent-consistency/lcm-lora-sdv1-5, lcm-lora-sdxl) adapt, computed independently of
 * the farm's own key mapping.
 */
export async function attentionProjections(configFile: string): Promise<LinearLayer[]> {
  const config = JSON.parse(await readFile(configFile, 'utf8')) as UnetLayout;
  const channels = config.block_out_channels;
  const depth = (block: number): number => (typeof config.transformer_layers_per_block === 'number' ? config.transformer_layers_per_block : config.transformer_layers_per_block[block]);
  const layers: LinearLayer[] = [];
  const transformer = (prefix: string, width: number, count: number): void => {
    for (let index = 0; index < count; index++) {
      const block = `${prefix}.transformer_blocks.${index}`;
      for (const projection of ['to_q', 'to_k', 'to_v', 'to_out.0']) layers.push({ module: `${block}.attn1.${projection}`, out: width, in: width });
      for (const projection of ['to_q', 'to_k', 'to_v', 'to_out.0']) {
        layers.push({ module: `${block}.attn2.${projection}`, out: width, in: projection === 'to_k' || projection === 'to_v' ? config.cross_attention_dim : width });
      }
    }
  };
  config.down_block_types.forEach((type, block) => {
    if (!type.startsWith('CrossAttn')) return;
    for (let attention = 0; attention < config.layers_per_block; attention++) transformer(`down_blocks.${block}.attentions.${attention}`, channels[block], depth(block));
  });
  if (config.mid_block_type === 'UNetMidBlock2DCrossAttn') transformer('mid_block.attentions.0', channels[channels.length - 1], depth(channels.length - 1));
  config.up_block_types.forEach((type, block) => {
    if (!type.startsWith('CrossAttn')) return;
    const reversed = channels.length - 1 - block;
    for (let attention = 0; attention <= config.layers_per_block; attention++) {
      const count = config.reverse_transformer_layers_per_block?.[block][attention] ?? depth(reversed);
      transformer(`up_blocks.${block}.attentions.${attention}`, channels[reversed], count);
    }
  });
  return layers;
}

/** Deterministic values in [-scale, scale): a file that is the same on every run. */
function seeded(count: number, seed: number, scale: number): Float32Array {
  let state = seed >>> 0 || 1;
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = (state / 2 ** 32 - 0.5) * 2 * scale;
  }
  return values;
}

/**
 * An LCM-LoRA in the kohya form the published files ship in (`lora_unet_<module with _>`
 * .lora_down.weight [rank, in], .lora_up.weight [out, rank], .alpha), rank 4, for `layers`, plus
 * `extra` layers the target UNet lacks (reported as unmatched, not dropped).
 */
export function kohyaLcmLora(layers: readonly LinearLayer[], extra: readonly LinearLayer[], baseModel: string): Uint8Array {
  const rank = 4;
  const tensors = new Map<string, TensorEntry>();
  [...layers, ...extra].forEach((layer, index) => {
    const stem = `lora_unet_${layer.module.replaceAll('.', '_')}`;
    tensors.set(`${stem}.lora_down.weight`, float32Tensor(seeded(rank * layer.in, 2 * index + 1, 0.3), [rank, layer.in]));
    tensors.set(`${stem}.lora_up.weight`, float32Tensor(seeded(layer.out * rank, 2 * index + 2, 0.3), [layer.out, rank]));
    tensors.set(`${stem}.alpha`, float32Tensor(Float32Array.of(rank), []));
  });
  return serializeSafetensors(tensors, { ss_network_module: 'networks.lora', ss_base_model_version: baseModel });
}
