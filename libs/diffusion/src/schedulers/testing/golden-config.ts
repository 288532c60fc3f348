/** The scheduler_config.json the golden diffusers references were rendered with (SD 2.x, v-prediction). */
export const GOLDEN_CONFIG_JSON = {
  _class_name: 'DDIMScheduler',
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  clip_sample: false,
  prediction_type: 'v_prediction',
  timestep_spacing: 'leading',
} as const;
