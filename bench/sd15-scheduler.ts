/** scheduler_config.json of a Stable Diffusion 1.5 export (what the demo model ships too). */
export const SD15_SCHEDULER = {
  _class_name: 'PNDMScheduler',
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  prediction_type: 'epsilon',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'leading',
};
