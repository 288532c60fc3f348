import * as ort from 'onnxruntime-node';
import type { ConditioningSource } from '../pipeline/conditioning/conditioning-source.js';
import type { UnetConditioning } from '../pipeline/conditioning/types.js';
import { floatInput, inputMetadata, readFloat32 } from '../pipeline/tensors.js';
import { IpAdapterError } from './errors.js';
import { appendImageTokens, type ImageTokens } from './image-tokens.js';

/** The UNet input StreamDiffusion-style exports take the IP-Adapter scale through. */
export const IP_ADAPTER_SCALE_INPUT = 'ipadapter_scale';

/**
 * IP-Adapter as a conditioning source: once per generation it appends the image tokens to the
 * text tokens of `encoder_hidden_states` (sequence 77·chunks + T·images) and, where the UNet
 * export has one, sets `ipadapter_scale`; diffusers multiplies the image attention's output by
 * that scale. Nothing runs per step.
 */
export class IpAdapterSource implements ConditioningSource {
  constructor(
    private readonly unet: ort.InferenceSession,
    private readonly tokens: ImageTokens,
    private readonly scale: number,
    private readonly useGuidance: boolean,
    private readonly field: string,
  ) {}

  async extend(conditioning: UnetConditioning): Promise<UnetConditioning> {
    const text = conditioning.encoderHiddenStates;
    const [, sequence, width] = text.dims;
    if (width !== this.tokens.width) {
      throw new IpAdapterError('ip_adapter_family_mismatch', `${this.field}.model`, `its image tokens are ${this.tokens.width} wide, the UNet's text features ${width}`);
    }
    const wanted = inputMetadata(this.unet, 'encoder_hidden_states')?.shape[1];
    if (typeof wanted === 'number' && wanted !== sequence + this.tokens.count) {
      throw new IpAdapterError(
        'ip_adapter_token_mismatch',
        `${this.field}.images`,
        `the UNet takes ${wanted} context tokens; ${sequence} text + ${this.tokens.count} image tokens were made (export the UNet with a dynamic sequence length for several images or long prompts)`,
      );
    }
    const joined = appendImageTokens(readFloat32(text), text.dims, this.tokens, this.useGuidance);
    const extra: Record<string, ort.Tensor> = { ...conditioning.extra };
    const scaleInput = inputMetadata(this.unet, IP_ADAPTER_SCALE_INPUT);
    if (scaleInput) {
      const dims = scaleInput.shape.map((dim) => (typeof dim === 'number' ? dim : 1));
      const size = dims.reduce((a, b) => a * b, 1);
      extra[IP_ADAPTER_SCALE_INPUT] =
        scaleInput.type === 'float64'
          ? new ort.Tensor('float64', new Float64Array(size).fill(this.scale), dims)
          : floatInput(this.unet, IP_ADAPTER_SCALE_INPUT, new Float32Array(size).fill(this.scale), dims);
    }
    // Written out in the UNet's dtype once; every step reuses it.
    return { encoderHiddenStates: floatInput(this.unet, 'encoder_hidden_states', joined.data, joined.dims), extra };
  }
}
