/**
 * Sampler names other tools use for one of our samplers *with particular settings*, which a plain
 * alias cannot express: the scheduler options they imply are applied on top of the model's
 * scheduler_config, and the name itself is what the infotext writes back, so it round-trips.
 */
export interface SamplerPreset {
  /** The name as the other tool spells it (matched like every sampler name). */
  readonly name: string;
  /** Canonical id of the sampler it runs. */
  readonly id: string;
  /** Whether the name itself selects Karras σ (A1111's old `k_…_ka` names). */
  readonly karras: boolean;
  /** scheduler_config keys the name implies, overriding the model's. */
  readonly settings: Readonly<Record<string, unknown>>;
}

function preset(name: string, id: string, settings: Record<string, unknown> = {}, karras = false): SamplerPreset {
  return { name, id, karras, settings };
}

export const SAMPLER_PRESETS: readonly SamplerPreset[] = [
  // A1111 (modules/sd_samplers_kdiffusion.py): sample_dpmpp_2m_sde with solver_type "heun".
  preset('DPM++ 2M SDE Heun', 'dpmpp-2m-sde', { solver_type: 'heun' }),
  preset('k_dpmpp_2m_sde_heun', 'dpmpp-2m-sde', { solver_type: 'heun' }),
  // A1111 before 1.9 listed each Karras variant with a `k_…_ka` alias.
  preset('k_lms_ka', 'lms', {}, true),
  preset('k_dpm_2_ka', 'dpm2', {}, true),
  preset('k_dpm_2_a_ka', 'dpm2-a', {}, true),
  preset('k_dpmpp_2s_a_ka', 'dpmpp-2s-a', {}, true),
  preset('k_dpmpp_2m_ka', 'dpmpp-2m', {}, true),
  preset('k_dpmpp_sde_ka', 'dpmpp-sde', {}, true),
  preset('k_dpmpp_2m_sde_ka', 'dpmpp-2m-sde', {}, true),
  // ComfyUI (comfy/k_diffusion/sampling.py sample_unipc): UniPC at order 3, variant bh2. Its plain
  // `uni_pc` (bh1, order 3) cannot be told apart from our `unipc` id under name matching, so it
  // stays diffusers' UniPC (bh2, order 2).
  preset('uni_pc_bh2', 'unipc', { solver_type: 'bh2', solver_order: 3 }),
];
