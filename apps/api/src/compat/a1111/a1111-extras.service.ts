import { Inject, Injectable } from '@nestjs/common';
import type { ObjectStorage } from '@atelier/storage';
import type { Principal } from '@atelier/tenancy';
import { parseBody } from '../../common/zod-body.js';
import { onnxModelsForTenant } from '../../generations/onnx-model-availability.js';
import { ImageTaskWaiter, type TaskWait } from '../../image-tasks/image-task-waiter.js';
import { ImageTasksService } from '../../image-tasks/image-tasks.service.js';
import { taskClasses } from '../../image-tasks/image-task-routing.js';
import { OBJECT_STORAGE } from '../../infrastructure/tokens.js';
import { FarmCatalog } from '../../routing/farm-catalog.js';
import { renameFields, type FieldNames } from '../field-names.js';
import { extrasBatchImagesSchema, extrasSingleImageSchema, type ExtrasOptions } from './a1111-extras.schema.js';

/**
 * Native task fields → the A1111 names the caller sent (so a refusal names the caller's field):
 * an upscale's model and scale, a face step's models by the visibility that asked for them.
 */
function extrasFieldNames(options: ExtrasOptions): FieldNames {
  const face = options.gfpgan_visibility > 0 ? 'gfpgan_visibility' : 'codeformer_visibility';
  return options.upscaler_1 === 'None' ? { model: face, detector: face } : { model: 'upscaler_1', scale: 'upscaling_resize', face_restore: face };
}

/** A1111's upscaler entry (GET /sdapi/v1/upscalers). */
export interface A1111Upscaler {
  readonly name: string;
  readonly model_name: string | null;
  readonly model_path: string | null;
  readonly model_url: null;
  readonly scale: number;
}

/**
 * AUTOMATIC1111's extras on Atelier's image tasks: `upscaler_1` by `upscaling_resize` is an
 * upscale task (with a face restoration step when a visibility is set), a face restoration alone
 * when `upscaler_1` is "None". Each image is a normal task (GET /v1/tasks, webhooks, quota) the
 * call waits for, answering with base64 PNGs as A1111 does.
 */
@Injectable()
export class A1111Extras {
  constructor(
    @Inject(ImageTasksService) private readonly tasks: ImageTasksService,
    @Inject(ImageTaskWaiter) private readonly waiter: ImageTaskWaiter,
    @Inject(FarmCatalog) private readonly farm: FarmCatalog,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  async single(principal: Principal, input: unknown, wait: TaskWait): Promise<{ html_info: string; image: string }> {
    const { image, ...options } = parseBody(extrasSingleImageSchema, input);
    const [result] = await this.run(principal, [image], options, wait);
    return { html_info: htmlInfo(options), image: result };
  }

  async batch(principal: Principal, input: unknown, wait: TaskWait): Promise<{ html_info: string; images: string[] }> {
    const { imageList, ...options } = parseBody(extrasBatchImagesSchema, input);
    return { html_info: htmlInfo(options), images: await this.run(principal, imageList.map((entry) => entry.data), options, wait) };
  }

  /** "None" (A1111's no-op upscaler) first, then every upscaler the caller's tenant can use. */
  async upscalers(principal: Principal): Promise<A1111Upscaler[]> {
    const models = onnxModelsForTenant(taskClasses((await this.farm.snapshot()).classes), 'upscaler', principal.tenant);
    const listed = [...models.values()].sort((a, b) => a.name.localeCompare(b.name));
    return [{ name: 'None', model_name: null, model_path: null, model_url: null, scale: 4 }, ...listed.map((model) => ({ name: model.name, model_name: model.name, model_path: null, model_url: null, scale: model.scale ?? 4 }))];
  }

  /**
   * The face restoration step A1111's fields ask for: GFPGAN's or CodeFormer's visibility (a
   * restorer named `gfpgan` / `codeformer` when the tenant can use one, else the default one),
   * and CodeFormer's weight as its fidelity. Undefined when both visibilities are 0.
   */
  private async faceStep(principal: Principal, options: ExtrasOptions): Promise<{ model?: string; fidelity: number; visibility: number } | undefined> {
    const gfpgan = options.gfpgan_visibility > 0;
    if (!gfpgan && options.codeformer_visibility === 0) return undefined;
    const restorers = onnxModelsForTenant(taskClasses((await this.farm.snapshot()).classes), 'face_restorer', principal.tenant);
    const named = gfpgan ? 'gfpgan' : 'codeformer';
    const model = restorers.has(named) ? { model: named } : {};
    return gfpgan ? { ...model, visibility: options.gfpgan_visibility, fidelity: 0.5 } : { ...model, visibility: options.codeformer_visibility, fidelity: options.codeformer_weight };
  }

  /** Submits one task per image (all before waiting), then waits for each and reads its result. */
  private async run(principal: Principal, images: readonly string[], options: ExtrasOptions, wait: TaskWait): Promise<string[]> {
    const faceRestore = await this.faceStep(principal, options);
    if (options.upscaler_1 === 'None' && !faceRestore) return [...images];
    const ids: string[] = [];
    try {
      for (const image of images) {
        const view =
          options.upscaler_1 === 'None'
            ? await this.tasks.faceRestore(principal, { image, ...faceRestore })
            : await this.tasks.upscale(principal, { image, model: options.upscaler_1, scale: options.upscaling_resize, ...(faceRestore ? { face_restore: faceRestore } : {}) });
        ids.push(view.id);
      }
    } catch (error) {
      throw renameFields(error, extrasFieldNames(options));
    }
    const results: string[] = [];
    for (const id of ids) {
      const record = await this.waiter.succeeded(id, wait);
      const output = record.outputs.find((each) => each.kind === 'image');
      if (!output) throw new Error(`task ${id} succeeded without an image output`);
      results.push((await this.storage.get(output.key)).toString('base64'));
    }
    return results;
  }
}

function htmlInfo(options: ExtrasOptions): string {
  const parts = [
    ...(options.upscaler_1 !== 'None' ? [`Postprocess upscale by: ${options.upscaling_resize}`, `Postprocess upscaler: ${options.upscaler_1}`] : []),
    ...(options.gfpgan_visibility > 0 ? [`GFPGAN visibility: ${options.gfpgan_visibility}`] : []),
    ...(options.codeformer_visibility > 0 ? [`CodeFormer visibility: ${options.codeformer_visibility}`, `CodeFormer weight: ${options.codeformer_weight}`] : []),
  ];
  return `<p>${parts.join(', ')}</p>`;
}
