// Original Stable Diffusion (LDM) UNet names → diffusers names. LDM numbers every block of the
// encoder path in one list (input_blocks), diffusers groups them per resolution:
//
//   LDM                                   diffusers (L = layers_per_block, 2 in SD 1.x/2.x/XL)
//   time_embed.0 / time_embed.2           time_embedding.linear_1 / linear_2
//   label_emb.0.0 / label_emb.0.2         add_embedding.linear_1 / linear_2 (SDXL)
//   input_blocks.0.0                      conv_in
//   input_blocks.n.0   (n = 1+b(L+1)+j)   down_blocks.b.resnets.j              (j < L)
//   input_blocks.n.1                      down_blocks.b.attentions.j
//   input_blocks.n.0.op (n = (b+1)(L+1))  down_blocks.b.downsamplers.0.conv
//   middle_block.0 / .1 / .2              mid_block.resnets.0 / attentions.0 / resnets.1
//   output_blocks.n.0  (n = b(L+1)+j)     up_blocks.b.resnets.j                (j ≤ L)
//   output_blocks.n.1                     up_blocks.b.attentions.j
//   output_blocks.n.k.conv (k = 1 or 2)   up_blocks.b.upsamplers.0.conv        (last j of b)
//   out.0 / out.2                         conv_norm_out / conv_out
//
// Inside a resnet: in_layers.0 → norm1, in_layers.2 → conv1, emb_layers.1 → time_emb_proj,
// out_layers.0 → norm2, out_layers.3 → conv2, skip_connection → conv_shortcut. Attention
// (transformer) internals keep their names. For SD 1.x: input_blocks 1,2 / 4,5 / 7,8 hold
// down_blocks 0 / 1 / 2 resnets+attentions, 3 / 6 / 9 the downsamplers, 10,11 down_blocks.3;
// output_blocks 0-2 are up_blocks.0 (2 carries the upsampler at .1), 3-5 up_blocks.1 (5: .2), …
//
// The same rules work on kohya's flattened names ("input_blocks_4_1_transformer_blocks_0_attn1")
// with "_" as the separator, since every index is a separate segment in both forms.

const RESNET_PARTS: readonly (readonly [string, string])[] = [
  ['in_layers.0', 'norm1'],
  ['in_layers.2', 'conv1'],
  ['emb_layers.1', 'time_emb_proj'],
  ['out_layers.0', 'norm2'],
  ['out_layers.3', 'conv2'],
  ['skip_connection', 'conv_shortcut'],
];

const TOP_LEVEL: readonly (readonly [string, string])[] = [
  ['time_embed.0', 'time_embedding.linear_1'],
  ['time_embed.2', 'time_embedding.linear_2'],
  ['label_emb.0.0', 'add_embedding.linear_1'],
  ['label_emb.0.2', 'add_embedding.linear_2'],
  ['input_blocks.0.0', 'conv_in'],
  ['out.0', 'conv_norm_out'],
  ['out.2', 'conv_out'],
];

export interface LdmUnetOptions {
  /** Separator of the name: '.' for checkpoints and PEFT, '_' for kohya's flattened keys. */
  readonly separator?: '.' | '_';
  readonly layersPerBlock?: number;
}

/** diffusers name for an LDM UNet name (without "model.diffusion_model."), or undefined. */
export function ldmUnetToDiffusers(name: string, options: LdmUnetOptions = {}): string | undefined {
  const sep = options.separator ?? '.';
  const layers = options.layersPerBlock ?? 2;
  const join = (...parts: (string | number)[]): string => parts.filter((part) => part !== '').join(sep);
  const swap = (table: readonly (readonly [string, string])[], rest: string): string | undefined => {
    for (const [from, to] of table) {
      const key = from.split('.').join(sep);
      if (rest === key) return to.split('.').join(sep);
      if (rest.startsWith(key + sep)) return to.split('.').join(sep) + rest.slice(key.length);
    }
    return undefined;
  };

  const top = swap(TOP_LEVEL, name);
  if (top !== undefined) return top;

  const e = sep === '.' ? '\\.' : '_';
  const block = new RegExp(`^(input_blocks|output_blocks)${e}(\\d+)${e}(\\d+)(?:${e}(.*))?$`).exec(name);
  if (block !== null) {
    const n = Number(block[2]);
    const k = Number(block[3]);
    const rest = block[4] ?? '';
    if (block[1] === 'input_blocks') {
      if (n === 0) return undefined;
      const b = Math.floor((n - 1) / (layers + 1));
      const j = (n - 1) % (layers + 1);
      if (j < layers && k === 0) return resnet(join('down_blocks', b, 'resnets', j), rest);
      if (j < layers && k === 1) return join('down_blocks', b, 'attentions', j, rest);
      const op = `op`;
      if (j === layers && k === 0 && (rest === op || rest.startsWith(op + sep))) {
        return join('down_blocks', b, 'downsamplers', 0, 'conv') + rest.slice(op.length);
      }
      return undefined;
    }
    const b = Math.floor(n / (layers + 1));
    const j = n % (layers + 1);
    if (k === 0) return resnet(join('up_blocks', b, 'resnets', j), rest);
    if (rest === 'conv' || rest.startsWith(`conv${sep}`)) return join('up_blocks', b, 'upsamplers', 0, rest);
    if (k === 1) return join('up_blocks', b, 'attentions', j, rest);
    return undefined;
  }

  const middle = new RegExp(`^middle_block${e}(\\d+)(?:${e}(.*))?$`).exec(name);
  if (middle !== null) {
    const rest = middle[2] ?? '';
    switch (middle[1]) {
      case '0':
        return resnet(join('mid_block', 'resnets', 0), rest);
      case '1':
        return join('mid_block', 'attentions', 0, rest);
      case '2':
        return resnet(join('mid_block', 'resnets', 1), rest);
    }
  }
  return undefined;

  function resnet(prefix: string, rest: string): string | undefined {
    const part = swap(RESNET_PARTS, rest);
    return part === undefined ? undefined : join(prefix, part);
  }
}
