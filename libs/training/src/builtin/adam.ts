// Adam (Kingma & Ba) with optional decoupled weight decay (AdamW). Parameters and moments are
// float32, the precision they are checkpointed in, so a resumed run continues from exactly the
// numbers an uninterrupted run holds.

export interface AdamOptions {
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly weightDecay?: number;
}

export interface AdamMoments {
  readonly expAvg: Float32Array;
  readonly expAvgSq: Float32Array;
}

export class Adam {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  /** Updates taken so far (bias correction uses it). */
  step: number;

  constructor(
    private readonly options: AdamOptions,
    readonly moments: ReadonlyMap<string, AdamMoments>,
    step = 0,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.step = step;
  }

  static fresh(options: AdamOptions, parameters: ReadonlyMap<string, Float32Array>): Adam {
    const moments = new Map<string, AdamMoments>();
    for (const [name, values] of parameters) moments.set(name, { expAvg: new Float32Array(values.length), expAvgSq: new Float32Array(values.length) });
    return new Adam(options, moments);
  }

  /** One update of every parameter from its gradient (same names as the moments), at `learningRate` when a scheduler sets it. */
  update(parameters: ReadonlyMap<string, Float32Array>, gradients: ReadonlyMap<string, ArrayLike<number>>, learningRate = this.options.learningRate): void {
    this.step++;
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = 1 - this.beta2 ** this.step;
    const lr = learningRate;
    for (const [name, values] of parameters) {
      const moments = this.moments.get(name);
      const gradient = gradients.get(name);
      if (moments === undefined || gradient === undefined) throw new Error(`no moments or gradient for parameter ${name}`);
      if (gradient.length !== values.length) throw new Error(`gradient of ${name} has ${gradient.length} values, the parameter ${values.length}`);
      for (let i = 0; i < values.length; i++) {
        const g = gradient[i];
        moments.expAvg[i] = this.beta1 * moments.expAvg[i] + (1 - this.beta1) * g;
        moments.expAvgSq[i] = this.beta2 * moments.expAvgSq[i] + (1 - this.beta2) * g * g;
        const denominator = Math.sqrt(moments.expAvgSq[i] / correction2) + this.epsilon;
        values[i] = values[i] * (1 - lr * this.weightDecay) - (lr * moments.expAvg[i]) / correction1 / denominator;
      }
    }
  }
}
