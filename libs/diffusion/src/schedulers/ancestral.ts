/**
 * The ancestral split of a step from σ to σ_next (k-diffusion `get_ancestral_step`, eta = 1):
 * integrate deterministically down to σ_down, then add fresh noise of scale σ_up, with
 * σ_down² + σ_up² = σ_next² so the sample lands at the right noise level.
 */
export interface AncestralStep {
  readonly sigmaDown: number;
  readonly sigmaUp: number;
}

export function ancestralStep(sigmaFrom: number, sigmaTo: number): AncestralStep {
  if (sigmaFrom === 0) return { sigmaDown: sigmaTo, sigmaUp: 0 };
  const sigmaUp = Math.min(sigmaTo, Math.sqrt(Math.max(0, (sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom))));
  const sigmaDown = Math.sqrt(Math.max(0, sigmaTo * sigmaTo - sigmaUp * sigmaUp));
  return { sigmaDown, sigmaUp };
}
