// Original Stable Diffusion VAE names (first_stage_model.*) → diffusers AutoencoderKL names:
//
//   LDM                                   diffusers
//   encoder.down.i.block.j                encoder.down_blocks.i.resnets.j
//   encoder.down.i.downsample.conv        encoder.down_blocks.i.downsamplers.0.conv
//   decoder.up.i.block.j                  decoder.up_blocks.(U−1−i).resnets.j   (U up blocks, 4)
//   decoder.up.i.upsample.conv            decoder.up_blocks.(U−1−i).upsamplers.0.conv
//   {en,de}coder.mid.block_1 / block_2    mid_block.resnets.0 / resnets.1
//   {en,de}coder.mid.attn_1.norm          mid_block.attentions.0.group_norm
//   mid.attn_1.q / k / v / proj_out       mid_block.attentions.0.to_q / to_k / to_v / to_out.0
//   {en,de}coder.norm_out                 conv_norm_out
//   nin_shortcut (in a resnet)            conv_shortcut
//
// LDM's attention projections are 1×1 convolutions ([c, c, 1, 1]) where diffusers has Linear
// layers ([c, c]); the refit reshapes them. The decoder counts its blocks from the bottom in LDM
// and from the top in diffusers, hence the reversed index.

export interface LdmVaeOptions {
  readonly upBlocks?: number;
}

const ATTENTION_PARTS: Readonly<Record<string, string>> = { norm: 'group_norm', q: 'to_q', k: 'to_k', v: 'to_v', proj_out: 'to_out.0' };

/** diffusers name for an LDM VAE name (without "first_stage_model."), or undefined. */
export function ldmVaeToDiffusers(name: string, options: LdmVaeOptions = {}): string | undefined {
  const upBlocks = options.upBlocks ?? 4;
  if (/^(quant_conv|post_quant_conv)\./.test(name)) return name;
  const match = /^(encoder|decoder)\.(.+)$/.exec(name);
  if (match === null) return undefined;
  const [, side, rest] = match;
  const mapped = mapSide(rest, side === 'decoder' ? upBlocks : 0);
  return mapped === undefined ? undefined : `${side}.${mapped}`;
}

function mapSide(rest: string, upBlocks: number): string | undefined {
  const direct = /^(conv_in|conv_out)\.(.+)$/.exec(rest);
  if (direct !== null) return rest;
  if (rest.startsWith('norm_out.')) return `conv_norm_out.${rest.slice('norm_out.'.length)}`;

  const block = /^(down|up)\.(\d+)\.block\.(\d+)\.(.+)$/.exec(rest);
  if (block !== null) {
    const index = block[1] === 'up' ? upBlocks - 1 - Number(block[2]) : Number(block[2]);
    return `${block[1]}_blocks.${index}.resnets.${block[3]}.${resnetPart(block[4])}`;
  }
  const sample = /^(down)\.(\d+)\.downsample\.conv\.(.+)$|^(up)\.(\d+)\.upsample\.conv\.(.+)$/.exec(rest);
  if (sample !== null) {
    if (sample[1] === 'down') return `down_blocks.${sample[2]}.downsamplers.0.conv.${sample[3]}`;
    return `up_blocks.${upBlocks - 1 - Number(sample[5])}.upsamplers.0.conv.${sample[6]}`;
  }
  const mid = /^mid\.block_([12])\.(.+)$/.exec(rest);
  if (mid !== null) return `mid_block.resnets.${Number(mid[1]) - 1}.${resnetPart(mid[2])}`;
  const attention = /^mid\.attn_1\.([a-z_]+)\.(weight|bias)$/.exec(rest);
  if (attention !== null) {
    const part = ATTENTION_PARTS[attention[1]];
    return part === undefined ? undefined : `mid_block.attentions.0.${part}.${attention[2]}`;
  }
  return undefined;
}

function resnetPart(rest: string): string {
  return rest.startsWith('nin_shortcut.') ? `conv_shortcut.${rest.slice('nin_shortcut.'.length)}` : rest;
}
