import type { TrainingParams } from '../engine/training-job.js';
import type { KohyaLayout } from './kohya-command.js';
import type { TomlValue } from './toml.js';

/**
 * The previews and resume arguments every sd-scripts training script shares, added to `config`
 * last (in this order, so the TOML each script reads is unchanged). `resumeWeightsKey` names the
 * argument a run without saved state continues from: each script has its own (`network_weights`
 * for train_network.py, `weights` for textual inversion, the checkpoint itself as
 * `pretrained_model_name_or_path` for DreamBooth and fine-tuning).
 */
export function addPreviewAndResume(config: Record<string, TomlValue>, params: TrainingParams, layout: KohyaLayout, resumeWeightsKey: string): void {
  if (layout.samplePromptsPath !== undefined && params.sampleEvery > 0) {
    config.sample_every_n_steps = params.sampleEvery;
    config.sample_prompts = layout.samplePromptsPath;
    config.sample_sampler = 'euler_a';
  }
  if (layout.resume !== undefined) {
    if ('stateDir' in layout.resume) config.resume = layout.resume.stateDir;
    else {
      config[resumeWeightsKey] = layout.resume.networkWeights;
      config.initial_step = layout.resume.initialStep;
    }
  }
}
