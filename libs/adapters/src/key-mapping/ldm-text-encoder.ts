// Text encoder names in original checkpoints → diffusers (transformers CLIPTextModel) names.
// SD 1.x and SDXL's first encoder are Hugging Face CLIP already ("…transformer.text_model.…"),
// only the prefix changes. SD 2.x and SDXL's second encoder are OpenCLIP:
//
//   OpenCLIP (…model.)                        transformers
//   token_embedding.weight                    text_model.embeddings.token_embedding.weight
//   positional_embedding                      text_model.embeddings.position_embedding.weight
//   transformer.resblocks.N.ln_1 / ln_2       text_model.encoder.layers.N.layer_norm1 / layer_norm2
//   transformer.resblocks.N.attn.in_proj_*    …self_attn.q_proj / k_proj / v_proj (rows split in 3)
//   transformer.resblocks.N.attn.out_proj     …self_attn.out_proj
//   transformer.resblocks.N.mlp.c_fc / c_proj …mlp.fc1 / mlp.fc2
//   ln_final                                  text_model.final_layer_norm
//   text_projection ([in, out])               text_projection.weight (transposed)
import { NO_TRANSFORM, type CheckpointTarget, type ComponentName } from './components.js';

/** Targets of a Hugging Face CLIP name that follows "transformer." in a checkpoint. */
export function hfClipTargets(component: ComponentName, rest: string): CheckpointTarget[] {
  const parameter = rest.startsWith('text_model.') ? rest : `text_model.${rest}`;
  return [{ component, parameter, transform: NO_TRANSFORM }];
}

const RESBLOCK_PARTS: Readonly<Record<string, string>> = {
  'ln_1': 'layer_norm1',
  'ln_2': 'layer_norm2',
  'attn.out_proj': 'self_attn.out_proj',
  'mlp.c_fc': 'mlp.fc1',
  'mlp.c_proj': 'mlp.fc2',
};

/** Targets of an OpenCLIP name that follows "model." in a checkpoint. */
export function openClipTargets(component: ComponentName, rest: string): CheckpointTarget[] {
  const one = (parameter: string, transform = NO_TRANSFORM): CheckpointTarget[] => [{ component, parameter, transform }];
  if (rest === 'token_embedding.weight') return one('text_model.embeddings.token_embedding.weight');
  if (rest === 'positional_embedding') return one('text_model.embeddings.position_embedding.weight');
  if (rest === 'text_projection') return one('text_projection.weight', { kind: 'transpose' });
  const final = /^ln_final\.(weight|bias)$/.exec(rest);
  if (final !== null) return one(`text_model.final_layer_norm.${final[1]}`);

  const block = /^transformer\.resblocks\.(\d+)\.(.+)\.(weight|bias)$/.exec(rest);
  if (block !== null) {
    const [, layer, part, leaf] = block;
    const mapped = RESBLOCK_PARTS[part];
    return mapped === undefined ? [] : one(`text_model.encoder.layers.${layer}.${mapped}.${leaf}`);
  }
  const fused = /^transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)$/.exec(rest);
  if (fused !== null) {
    const [, layer, leaf] = fused;
    return ['q_proj', 'k_proj', 'v_proj'].map((projection, part) => ({
      component,
      parameter: `text_model.encoder.layers.${layer}.self_attn.${projection}.${leaf}`,
      transform: { kind: 'rows', part, of: 3 },
    }));
  }
  return [];
}
