/**
 * The request body from the README, field for field as users send it. Shared by the demo and the
 * end-to-end tests so both prove that exactly this body works.
 */
export const EXAMPLE_GENERATION_REQUEST = Object.freeze({
  prompt: 'a red circle on a blue background',
  negative_prompt: 'blurry, ugly',
  style: 'base',
  samples: 1,
  scheduler: 'UniPC',
  num_inference_steps: 25,
  guidance_scale: 8,
  strength: 0.2,
  high_noise_fraction: 0.8,
  seed: 468685,
  img_width: 1024,
  img_height: 1024,
  refiner: true,
  base64: false,
});
