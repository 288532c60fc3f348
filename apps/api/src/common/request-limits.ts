import type { AppConfig } from '@atelier/config';
import type { RequestLimits } from '@atelier/contracts';

/** The request limits every generation-shaped body is validated against, from the environment. */
export function requestLimits(config: AppConfig): RequestLimits {
  return {
    maxSamples: config.env.MAX_SAMPLES,
    maxSteps: config.env.MAX_STEPS,
    maxPixels: config.env.MAX_PIXELS,
    maxPromptChars: config.env.MAX_PROMPT_CHARS,
  };
}
