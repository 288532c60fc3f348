import type { Scheduler } from '../schedulers/scheduler.js';

export interface DenoisingShape {
  /** Floats in the latents of the whole batch (batch × 4 × height × width). */
  readonly latentSize: number;
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Classifier-free guidance: the UNet sees every latent twice (unconditional rows first). */
  readonly useGuidance: boolean;
  /** An inpainting UNet's 5 extra channels per UNet row (mask, masked-image latents), constant over the loop. */
  readonly inpaintChannels?: Float32Array;
}

const INPAINT_EXTRA_CHANNELS = 5;

/**
 * Every buffer the denoising loop touches, allocated once per generation: the latents (updated in
 * place by the scheduler), the UNet input (the scaled latents, doubled for guidance, interleaved
 * with an inpainting UNet's constant channels), the guided prediction and the inpainting blend's
 * noised original. A step only rewrites their contents.
 */
export class DenoisingBuffers {
  readonly latents: Float32Array;
  /** Where `scheduler.scaleModelInputInto` writes: the first half of the UNet input with guidance. */
  readonly scaled: Float32Array;
  /** The UNet input's shape, one array for the whole loop. */
  readonly dims: readonly number[];
  /** The scaled latents as the UNet gets them (doubled with guidance), 4 channels even for inpainting UNets. */
  readonly latentInput: Float32Array;
  private readonly inpaintInput: Float32Array | undefined;
  private readonly guided: Float32Array | undefined;
  private known: Float32Array | undefined;
  private readonly plane: number;

  constructor(private readonly shape: DenoisingShape) {
    const { latentSize, batch, channels, height, width, useGuidance, inpaintChannels } = shape;
    this.plane = height * width;
    this.latents = new Float32Array(latentSize);
    this.latentInput = new Float32Array(useGuidance ? 2 * latentSize : latentSize);
    this.scaled = useGuidance ? this.latentInput.subarray(0, latentSize) : this.latentInput;
    this.guided = useGuidance ? new Float32Array(latentSize) : undefined;
    const rows = useGuidance ? 2 * batch : batch;
    if (inpaintChannels) {
      // [latents(4) | extra(5)] per row, the channel order inpainting UNets expect; the extra part never changes.
      const latentRow = channels * this.plane;
      const extraRow = INPAINT_EXTRA_CHANNELS * this.plane;
      this.inpaintInput = new Float32Array(rows * (latentRow + extraRow));
      for (let row = 0; row < rows; row++) {
        this.inpaintInput.set(inpaintChannels.subarray(row * extraRow, (row + 1) * extraRow), row * (latentRow + extraRow) + latentRow);
      }
      this.dims = [rows, channels + INPAINT_EXTRA_CHANNELS, height, width];
    } else {
      this.dims = [rows, channels, height, width];
    }
  }

  /** The UNet input for this step, built from what was written into `scaled`. */
  modelInput(): Float32Array {
    const size = this.shape.latentSize;
    if (this.guided) this.latentInput.copyWithin(size, 0, size);
    const target = this.inpaintInput;
    if (!target) return this.latentInput;
    const latentRow = this.shape.channels * this.plane;
    const rowStride = latentRow + INPAINT_EXTRA_CHANNELS * this.plane;
    const rows = this.latentInput.length / latentRow;
    const source = this.latentInput;
    for (let row = 0; row < rows; row++) {
      const from = row * latentRow;
      const to = row * rowStride;
      for (let i = 0; i < latentRow; i++) target[to + i] = source[from + i];
    }
    return target;
  }

  /** Classifier-free guidance, uncond + g·(cond − uncond), into a reused buffer; the prediction itself without guidance. */
  guide(prediction: Float32Array, scale: number): Float32Array {
    const guided = this.guided;
    if (!guided) return prediction;
    const half = guided.length;
    for (let i = 0; i < half; i++) {
      const uncond = prediction[i];
      guided[i] = uncond + scale * (prediction[half + i] - uncond);
    }
    return guided;
  }

  /**
   * diffusers' latent-mask inpainting, in place on `latents`: the known area (mask 0) is put back
   * at the noise level of the next step, the masked area keeps what the step produced.
   */
  blendUnmasked(scheduler: Scheduler, initLatents: Float32Array, noise: Float32Array, mask: Float32Array, index: number): void {
    const next = index + 1;
    let known = initLatents;
    if (next < scheduler.timesteps.length) {
      known = this.known ?? (this.known = new Float32Array(initLatents.length));
      scheduler.addNoiseInto(initLatents, noise, next, known);
    }
    const latents = this.latents;
    const plane = mask.length;
    // Every image and channel repeats the same latent-size mask plane.
    let p = 0;
    for (let i = 0; i < latents.length; i++) {
      const m = mask[p];
      latents[i] = (1 - m) * known[i] + m * latents[i];
      if (++p === plane) p = 0;
    }
  }
}
