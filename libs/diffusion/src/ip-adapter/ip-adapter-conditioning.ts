import type { LoadedModel } from '../models/loaded-model.js';
import type { ConditioningProvider, ConditioningSetup, UnetChoice } from '../pipeline/conditioning/conditioning-provider.js';
import type { ConditioningSource } from '../pipeline/conditioning/conditioning-source.js';
import { inputMetadata } from '../pipeline/tensors.js';
import { clipPixelValues, decodeIpImage, type IpImageInput } from './clip-image.js';
import { IpAdapterError } from './errors.js';
import { encodeImageTokens } from './image-tokens.js';
import { openIpAdapter, type IpAdapterModel } from './ip-adapter-model.js';
import { IP_ADAPTER_SCALE_INPUT, IpAdapterSource } from './ip-adapter-source.js';

/** An image prompt of a generation request (diffusers' `ip_adapter_image` + `set_ip_adapter_scale`). */
export interface IpAdapterParams {
  /** An IP-Adapter folder, or one opened with `openIpAdapter`. */
  readonly model: string | IpAdapterModel;
  /** One or more images; several are concatenated as diffusers does (T tokens each, in order). */
  readonly images: readonly IpImageInput[];
  /** Multiplies the image attention (default 1); 0 is exactly no adapter. */
  readonly scale?: number;
  /** The request field errors name (default `ip_adapter`). */
  readonly field?: string;
}

function isSdxl(model: LoadedModel): boolean {
  return model.family === 'sdxl' || model.family === 'sdxl-refiner';
}

/**
 * The pipeline-side half of an IP-Adapter: the model's UNet exported with the adapter's image
 * attention (`ip_unet/model.onnx`, or `ip_controlnet/model.onnx` when ControlNets also run), fed
 * by an `IpAdapterSource`. At scale 0 it changes nothing: the plain UNet runs, bit for bit as
 * without an adapter (diffusers skips the image attention at scale 0 too).
 */
class IpAdapterConditioning implements ConditioningProvider {
  private readonly field: string;
  private readonly scale: number;

  constructor(private readonly params: IpAdapterParams) {
    this.field = params.field ?? 'ip_adapter';
    this.scale = params.scale ?? 1;
    if (!Number.isFinite(this.scale)) throw new IpAdapterError('ip_adapter_scale_unsupported', `${this.field}.scale`, 'must be a finite number');
    if (params.images.length === 0) throw new IpAdapterError('ip_adapter_image_invalid', `${this.field}.images`, 'at least one image is needed');
  }

  chooseUnet(model: LoadedModel, current: UnetChoice): UnetChoice {
    if (this.scale === 0) return current;
    const components = model.folder.components;
    const file = current.residuals ? components.ipControlnetUnet : components.ipUnet;
    if (!file) {
      const wanted = current.residuals ? 'ip_controlnet/model.onnx (image tokens and ControlNet residuals)' : 'ip_unet/model.onnx';
      throw new IpAdapterError('ip_adapter_unet_missing', `${this.field}.model`, `${model.id} has no UNet exported with image-prompt attention (${wanted})`);
    }
    return { file, residuals: current.residuals };
  }

  async open(setup: ConditioningSetup): Promise<ConditioningSource | undefined> {
    if (this.scale === 0) return undefined;
    const field = this.field;
    const adapter = typeof this.params.model === 'string' ? await openIpAdapter(this.params.model, `${field}.model`) : this.params.model;
    if ((adapter.base === 'sdxl') !== isSdxl(setup.model)) {
      throw new IpAdapterError('ip_adapter_family_mismatch', `${field}.model`, `IP-Adapter "${adapter.id}" is for ${adapter.base === 'sdxl' ? 'SDXL' : 'SD 1.x/2.x'}, the model ${setup.model.id} is ${setup.model.family}`);
    }
    // Without an ipadapter_scale input the export's image attention is fixed at 1: concatenating
    // tokens cannot scale an attention output, so any other scale is refused rather than faked.
    if (this.scale !== 1 && !inputMetadata(setup.unet, IP_ADAPTER_SCALE_INPUT)) {
      throw new IpAdapterError('ip_adapter_scale_unsupported', `${field}.scale`, `the UNet of ${setup.model.id} has no ${IP_ADAPTER_SCALE_INPUT} input, so only scale 1 (or 0: no adapter) can be applied`);
    }
    const pixels: Float32Array[] = [];
    for (const [index, image] of this.params.images.entries()) pixels.push(clipPixelValues(await decodeIpImage(image, `${field}.images[${index}]`)));
    const encoder = await setup.acquire(adapter.imageEncoderFile, `IP-Adapter ${adapter.id} image encoder`);
    const projection = await setup.acquire(adapter.projectionFile, `IP-Adapter ${adapter.id} projection`);
    const tokens = await encodeImageTokens(encoder, projection, pixels, adapter.plus, `${field}.model`);
    if (adapter.tokens !== undefined && tokens.count !== adapter.tokens * pixels.length) {
      throw new IpAdapterError('ip_adapter_model_invalid', `${field}.model`, `config.json says ${adapter.tokens} tokens per image, the projection made ${tokens.count / pixels.length}`);
    }
    return new IpAdapterSource(setup.unet, tokens, this.scale, setup.useGuidance, field);
  }
}

/** An image prompt for `GenerationParams.conditioning`. Throws `IpAdapterError` for a non-finite scale or no image. */
export function ipAdapterConditioning(params: IpAdapterParams): ConditioningProvider {
  return new IpAdapterConditioning(params);
}
