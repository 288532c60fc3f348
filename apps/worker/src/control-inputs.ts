import type { ControlNetUnit, ResolvedGeneration } from '@atelier/contracts';
import { InvalidImageError, UnsupportedRequestError, type ControlNetParams, type SessionLease } from '@atelier/diffusion';
import { decodeControlImage, preprocess, PreprocessError, PreprocessorModels, type PixelImage, type PreprocessorFolders } from '@atelier/preprocessors';
import type { ControlNetFolders } from './controlnet-folders.js';
import type { InputLimits } from './generation-inputs.js';
import { fetchImageBytes } from './image-source.js';

/** A preprocessed control map, kept to be stored as a `control` output. */
export interface ControlMapOutput {
  readonly index: number;
  readonly unit: ControlNetUnit;
  readonly map: PixelImage;
}

export interface PreparedControlNets {
  readonly controlnets: ControlNetParams[];
  readonly guessMode: boolean;
  readonly maps: ControlMapOutput[];
}

/** Preprocessing failures as the worker's client errors, naming the request field under `unit` (`controlnets.1`). */
function asClientError(error: unknown, unit: string): unknown {
  if (!(error instanceof PreprocessError)) return error;
  const field = error.field.startsWith('options.') ? `${unit}.preprocessor_options.${error.field.slice('options.'.length)}` : error.field === 'image' ? `${unit}.image` : `${unit}.preprocessor`;
  // PreprocessError's message starts with its own field name; the client sees the request's.
  const reason = error.message.slice(error.field.length + 2);
  if (error.code === 'invalid_control_image') return new InvalidImageError(field, reason);
  return new UnsupportedRequestError(field, reason);
}

/**
 * A request's ControlNets as pipeline parameters: each control image fetched (same rules and
 * limits as init_image), decoded, run through its preprocessor at the generation size (as
 * controlnet_aux + diffusers do) and bound to its ControlNet folder. The maps are returned to be
 * stored beside the images.
 */
export class ControlNetPreparation {
  private models: { key: string; models: PreprocessorModels } | undefined;

  /**
   * `acquire`: preprocessor sessions from the worker's SessionPool (memory-budgeted and evictable
   * like the pipeline's), leased for one preparation; without it they are opened once and kept.
   */
  constructor(
    private readonly folders: ControlNetFolders,
    private readonly limits: InputLimits,
    private readonly acquire?: (file: string) => Promise<SessionLease>,
  ) {}

  /** `tenant`: whose job it is (its private registry ControlNets and preprocessor models come first). */
  async prepare(request: ResolvedGeneration, width: number, height: number, tenant: string): Promise<PreparedControlNets | undefined> {
    const units = request.controlnets ?? [];
    if (units.length === 0) return undefined;
    const controlnets: ControlNetParams[] = [];
    const maps: ControlMapOutput[] = [];
    const leases: SessionLease[] = [];
    try {
      const models = await this.preprocessorModels(await this.folders.preprocessors(units.map((unit) => unit.preprocessor), tenant), leases);
      for (const [index, unit] of units.entries()) {
        const prepared = await this.prepareUnit(unit, `controlnets.${index}`, width, height, models, tenant);
        controlnets.push(prepared.params);
        maps.push({ index, unit, map: prepared.map });
      }
    } finally {
      for (const lease of leases) lease.release();
    }
    return { controlnets, guessMode: request.guess_mode ?? false, maps };
  }

  /** One unit: its folder on this worker, its image fetched (init_image's rules) and preprocessed. */
  private async prepareUnit(unit: ControlNetUnit, field: string, width: number, height: number, models: PreprocessorModels, tenant: string): Promise<{ params: ControlNetParams; map: PixelImage }> {
    const dir = await this.folders.find(unit.model, tenant);
    if (!dir) throw new UnsupportedRequestError(`${field}.model`, `ControlNet "${unit.model}" is not on this worker`);
    const download = { policy: this.limits.policy, maxBytes: this.limits.image.maxBytes, resolve: this.limits.resolve };
    const bytes = await fetchImageBytes(unit.image, `${field}.image`, download);
    const map = await this.controlMap(unit, bytes, width, height, `${field}.image`, models).catch((error: unknown) => {
      throw asClientError(error, field);
    });
    return { params: { model: dir, image: map.rgb, conditioningScale: unit.conditioning_scale, guidanceStart: unit.guidance_start, guidanceEnd: unit.guidance_end }, map: map.image };
  }

  private async controlMap(unit: ControlNetUnit, bytes: Buffer, width: number, height: number, field: string, models: PreprocessorModels): Promise<Awaited<ReturnType<typeof preprocess>>> {
    const image = await decodeControlImage(bytes, 'image', this.limits.image.maxPixels);
    if (image.width > this.limits.image.maxSide || image.height > this.limits.image.maxSide) {
      throw new InvalidImageError(field, `is ${image.width}×${image.height}; the limit is ${this.limits.image.maxSide} pixels per side`);
    }
    return preprocess(unit.preprocessor, image, { ...unit.preprocessor_options, width, height }, models);
  }

  /**
   * With a pool: a fresh set whose sessions are leased into `leases` (the pool keeps them loaded
   * between jobs). Without: one set, opened again only when the folders on disk change.
   */
  private async preprocessorModels(folders: PreprocessorFolders, leases: SessionLease[]): Promise<PreprocessorModels> {
    const acquire = this.acquire;
    if (acquire) {
      return new PreprocessorModels(folders, async (file) => {
        const lease = await acquire(file);
        leases.push(lease);
        return lease.session;
      });
    }
    const key = JSON.stringify(folders);
    if (this.models?.key !== key) this.models = { key, models: new PreprocessorModels(folders) };
    return this.models.models;
  }
}
