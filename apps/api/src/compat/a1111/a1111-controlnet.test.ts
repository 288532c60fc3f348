import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldProblem } from '../../common/api-error.js';
import { alwaysOnScriptsSchema, controlNetName, toControlNets, type A1111ControlNetUnit } from './a1111-controlnet.js';

const IMAGE = 'aGVsbG8=';

function map(units: A1111ControlNetUnit[], size = { width: 512, height: 768 }): { result: ReturnType<typeof toControlNets>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  return { result: toControlNets(units, size, problems), problems };
}

describe('A1111 ControlNet units → native controlnets', () => {
  it('maps a full unit: module, hashed model title, weight, window, canny thresholds, processor_res; disabled units are skipped but keep their index in field names', () => {
    const { result, problems } = map([
      { enabled: false, model: 'None' },
      { enabled: true, module: 'canny', model: 'control_v11p_sd15_canny [d14c016b]', image: IMAGE, weight: 0.7, guidance_start: 0.1, guidance_end: 0.8, threshold_a: 50, threshold_b: 150, processor_res: 384, control_mode: 'Balanced', resize_mode: 'Just Resize', low_vram: true },
      { module: 'softedge_pidisafe', model: 'control_v11p_sd15_softedge.safetensors', input_image: IMAGE, threshold_a: 64, threshold_b: 64, processor_res: -1 },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(result.request, {
      controlnets: [
        { model: 'control_v11p_sd15_canny', image: IMAGE, preprocessor: 'canny', preprocessor_options: { low_threshold: 50, high_threshold: 150, detect_resolution: 384 }, conditioning_scale: 0.7, guidance_start: 0.1, guidance_end: 0.8 },
        { model: 'control_v11p_sd15_softedge', image: IMAGE, preprocessor: 'softedge', preprocessor_options: { safe: true } },
      ],
      guess_mode: false,
    });
    assert.equal(result.fieldNames['controlnets.0.conditioning_scale'], 'alwayson_scripts.controlnet.args.1.weight');
    assert.equal(result.fieldNames['controlnets.1.model'], 'alwayson_scripts.controlnet.args.2.model');
    assert.equal(result.fieldNames['controlnets.0.preprocessor_options.low_threshold'], 'alwayson_scripts.controlnet.args.1.threshold_a');
  });

  it('"ControlNet is more important" (2, or the old guessmode) is guess mode; pixel_perfect detects at the short side; {image} objects work', () => {
    const { result, problems } = map([
      { module: 'openpose_face', model: 'pose', image: { image: IMAGE }, control_mode: 2, pixel_perfect: true },
      { module: 'depth_midas', model: 'depth', image: IMAGE, guessmode: true },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(result.request.guess_mode, true);
    assert.deepEqual(result.request.controlnets?.[0].preprocessor_options, { include_face: true, detect_resolution: 512 });
    assert.equal(result.request.controlnets?.[1].preprocessor, 'depth');
  });

  it('names every refusal by its unit: unknown module, missing model or image, masks, "My prompt is more important", other resize modes, mixed modes, too many units', () => {
    const { problems } = map([
      { module: 'lineart_anime', model: 'x', image: IMAGE },
      { module: 'canny', model: 'None', image: IMAGE },
      { module: 'canny', model: 'x' },
      { module: 'canny', model: 'x', image: { image: IMAGE, mask: IMAGE } },
      { module: 'canny', model: 'x', image: IMAGE, control_mode: 'My prompt is more important' },
      { module: 'canny', model: 'x', image: IMAGE, resize_mode: 'Crop and Resize' },
    ]);
    assert.deepEqual(
      problems.map((problem) => problem.field),
      [
        'alwayson_scripts.controlnet.args.0.module',
        'alwayson_scripts.controlnet.args.1.model',
        'alwayson_scripts.controlnet.args.2.image',
        'alwayson_scripts.controlnet.args.3.image.mask',
        'alwayson_scripts.controlnet.args.4.control_mode',
        'alwayson_scripts.controlnet.args.5.resize_mode',
      ],
    );
    const mixed = map([
      { module: 'canny', model: 'x', image: IMAGE, control_mode: 2 },
      { module: 'canny', model: 'y', image: IMAGE, control_mode: 0 },
    ]);
    assert.deepEqual(mixed.problems.map((problem) => problem.field), ['alwayson_scripts.controlnet.args']);
    const many = map(Array.from({ length: 5 }, () => ({ module: 'canny', model: 'x', image: IMAGE })));
    assert.match(many.problems[0].message, /at most 4 enabled units/);
    assert.deepEqual(map([]).result.request, {}, 'no units: no ControlNet fields at all');
  });

  it('the schema takes only ControlNet in alwayson_scripts and only known unit fields', () => {
    assert.ok(alwaysOnScriptsSchema.safeParse({}).success);
    assert.ok(alwaysOnScriptsSchema.safeParse({ controlnet: { args: [{ enabled: true, module: 'canny', model: 'x', image: IMAGE, save_detected_map: true }] } }).success);
    const adetailer = alwaysOnScriptsSchema.safeParse({ ADetailer: { args: [] } });
    assert.ok(!adetailer.success);
    const unknown = alwaysOnScriptsSchema.safeParse({ controlnet: { args: [{ enabled: true, effective_region_mask: 'x' }] } });
    assert.ok(!unknown.success && unknown.error.issues[0].code === 'unrecognized_keys');
    assert.equal(controlNetName('control_v11f1p_sd15_depth [cfd03158]'), 'control_v11f1p_sd15_depth');
    assert.equal(controlNetName('diffusers_xl_canny_full.safetensors'), 'diffusers_xl_canny_full');
  });

  it('maps an IP-Adapter unit (ip-adapter_* preprocessor) onto ip_adapter beside the ControlNets: model title cleaned, image, weight → scale; one unit at most', () => {
    const { result, problems } = map([
      { module: 'ip-adapter_clip_sd15', model: 'ip-adapter_sd15 [6a3f6166]', image: IMAGE, weight: 0.6, control_mode: 'My prompt is more important' },
      { module: 'canny', model: 'control_v11p_sd15_canny', image: IMAGE },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(result.request, {
      controlnets: [{ model: 'control_v11p_sd15_canny', image: IMAGE, preprocessor: 'canny', preprocessor_options: {} }],
      guess_mode: false,
      ip_adapter: { model: 'ip-adapter_sd15', images: [IMAGE], scale: 0.6 },
    });
    assert.equal(result.fieldNames['ip_adapter.model'], 'alwayson_scripts.controlnet.args.0.model');
    assert.equal(result.fieldNames['ip_adapter.images.0'], 'alwayson_scripts.controlnet.args.0.image');
    assert.equal(result.fieldNames['ip_adapter.scale'], 'alwayson_scripts.controlnet.args.0.weight');
    assert.deepEqual(map([{ module: 'ip-adapter-auto', model: 'ip-xl', input_image: IMAGE }]).result.request, { ip_adapter: { model: 'ip-xl', images: [IMAGE] } });
    const refused = map([
      { module: 'ip-adapter_clip_sdxl', model: 'ip-xl', image: IMAGE },
      { module: 'ip-adapter_clip_sdxl_plus_vith', model: 'ip-xl-plus', image: IMAGE },
      { module: 'ip-adapter_clip_sd15', model: 'None', image: IMAGE },
      { module: 'ip-adapter_clip_h' },
    ]).problems.map((problem) => problem.field);
    assert.deepEqual(refused, ['alwayson_scripts.controlnet.args.1', 'alwayson_scripts.controlnet.args.2', 'alwayson_scripts.controlnet.args.2.model', 'alwayson_scripts.controlnet.args.3', 'alwayson_scripts.controlnet.args.3.model', 'alwayson_scripts.controlnet.args.3.image']);
  });
});
