import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { assembleDistilledExport, distilledFixture, DISTILLED_VARIANTS } from '@atelier/testing';
import { LoadedModel } from './loaded-model.js';
import { readModelFolder } from './model-folder.js';
import { detectVariant, KNOWN_LAYOUTS, transformerLayout, type VariantSources } from './model-variant.js';

async function json(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

/** SDXL base 1.0's unet/config.json, the keys that shape its blocks. */
const SDXL_UNET = {
  down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
  up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
  layers_per_block: 2,
  transformer_layers_per_block: [1, 2, 10],
  addition_embed_type: 'text_time',
};
const plain = (unetConfig: Record<string, unknown>, names: VariantSources['names'] = [], schedulerConfig: Record<string, unknown> = { _class_name: 'EulerDiscreteScheduler' }): VariantSources => ({
  id: 'model',
  names,
  unetConfig,
  schedulerConfig,
});

describe('distilled model variants, from what the files say', () => {
  it('reads the transformer layers of every block: SDXL, and SSD-1B / Vega written as the Hub configs write them (ints, lists, reverse lists)', () => {
    assert.equal(transformerLayout(SDXL_UNET), '-|2,2|10,10 / 10 / 10,10,10|2,2,2|-');
    const ssd = { ...SDXL_UNET, mid_block_type: 'UNetMidBlock2D', transformer_layers_per_block: [1, 2, 4], reverse_transformer_layers_per_block: [[4, 4, 10], [2, 1, 1], 1] };
    assert.equal(transformerLayout(ssd), KNOWN_LAYOUTS['ssd-1b']);
    assert.equal(transformerLayout({ ...SDXL_UNET, mid_block_type: 'UNetMidBlock2D', transformer_layers_per_block: [0, 1, 2] }), KNOWN_LAYOUTS.vega);
    assert.equal(detectVariant(plain(SDXL_UNET)), undefined, 'plain SDXL is no variant');
  });

  it('detects each committed tiny export from its own files, naming what it read', async () => {
    const seen: Record<string, string> = {};
    for (const variant of DISTILLED_VARIANTS) {
      const unetConfig = await json(distilledFixture(`${variant}/unet/config.json`));
      const index = await json(distilledFixture(`${variant}/model_index.json`));
      const schedulerConfig = await json(distilledFixture(`${variant}/scheduler/scheduler_config.json`));
      // The layout alone, no names: SSD-1B and Vega are recognised by their blocks.
      const byLayout = detectVariant({ id: 'renamed', names: [], unetConfig, schedulerConfig });
      const byAll = detectVariant({ id: variant, names: [{ source: 'model_index.json _name_or_path', value: String(index._name_or_path) }], unetConfig, schedulerConfig });
      assert.ok(byAll, variant);
      seen[variant] = `${byAll.variant} (${byAll.evidence}); layout only: ${byLayout?.variant ?? 'none'}`;
    }
    console.log(JSON.stringify(seen, null, 1));
    assert.match(seen['ssd-1b-tiny'], /^ssd-1b \(unet\/config\.json transformer layers .*; layout only: ssd-1b$/);
    assert.match(seen['vega-tiny'], /^vega \(unet\/config\.json transformer layers .*; layout only: vega$/);
    assert.match(seen['sdxl-turbo-tiny'], /^sdxl-turbo \(model_index\.json _name_or_path=stabilityai\/sdxl-turbo\); layout only: none$/);
  });

  it('LCM from the UNet (time_cond_proj_dim), the scheduler class or a name; Turbo and SD-Turbo from names', () => {
    const lcmUnet = detectVariant(plain({ ...SDXL_UNET, time_cond_proj_dim: 256 }));
    assert.deepEqual([lcmUnet?.variant, lcmUnet?.evidence, lcmUnet?.recommended.guidanceScale], ['lcm', 'unet/config.json time_cond_proj_dim=256', 8.5]);
    const lcmScheduler = detectVariant(plain(SDXL_UNET, [], { _class_name: 'LCMScheduler' }));
    assert.deepEqual([lcmScheduler?.variant, lcmScheduler?.recommended.steps, lcmScheduler?.recommended.guidanceScale, lcmScheduler?.recommended.scheduler], ['lcm', 4, 1, 'LCM']);
    assert.equal(detectVariant(plain(SDXL_UNET, [{ source: 'unet/config.json _name_or_path', value: 'latent-consistency/lcm-ssd-1b' }]))?.variant, 'lcm');
    const sdTurbo = detectVariant(plain({}, [{ source: 'model_index.json _name_or_path', value: 'stabilityai/sd-turbo' }]));
    assert.deepEqual([sdTurbo?.variant, sdTurbo?.recommended.steps, sdTurbo?.recommended.guidanceScale, sdTurbo?.recommended.timestepSpacing], ['sd-turbo', 1, 0, 'trailing']);
    assert.equal(detectVariant({ ...plain(SDXL_UNET), id: 'my-sdxl-turbo-fp16' })?.variant, 'sdxl-turbo', 'the folder name counts');
    assert.equal(detectVariant(plain({}, [{ source: 'model_index.json _name_or_path', value: 'segmind/Segmind-Vega' }]))?.variant, 'vega');
    assert.equal(detectVariant({ ...plain({}), id: 'vegas-photoreal' }), undefined, 'a word, not any substring');
  });

  it('a loaded folder reports the variant and its defaults; a Turbo scheduler file without spacing gets trailing, one with its own keeps it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'atelier-variant-'));
    try {
      const summaries = [];
      for (const variant of DISTILLED_VARIANTS) {
        const model = await LoadedModel.open(await readModelFolder(await assembleDistilledExport(variant, path.join(dir, variant))));
        summaries.push(model.summary());
      }
      console.log(summaries.map((s) => `${s.id}: family ${s.family}, variant ${s.variant}, ${s.default_width}x${s.default_height}, ${s.default_steps} steps, guidance ${s.default_guidance_scale}, ${s.default_scheduler} (${s.timestep_spacing})`).join('\n'));
      const [ssd, vega, turbo] = summaries;
      assert.deepEqual([ssd.family, ssd.variant, ssd.default_width, ssd.default_height, ssd.default_steps, ssd.default_guidance_scale], ['sdxl', 'ssd-1b', 1024, 1024, 25, 9]);
      assert.deepEqual([vega.variant, vega.default_steps, vega.default_guidance_scale, vega.default_scheduler], ['vega', 25, 9, 'euler']);
      assert.deepEqual([turbo.variant, turbo.default_width, turbo.default_steps, turbo.default_guidance_scale, turbo.default_scheduler, turbo.timestep_spacing], ['sdxl-turbo', 512, 1, 0, 'euler-a', 'trailing']);
      const spacingOf = async (name: string, spacing: string | undefined): Promise<string> => {
        const folder = await assembleDistilledExport('sdxl-turbo-tiny', path.join(dir, name));
        const file = path.join(folder, 'scheduler', 'scheduler_config.json');
        const { timestep_spacing: _own, ...rest } = await json(file);
        await writeFile(file, JSON.stringify(spacing === undefined ? rest : { ...rest, timestep_spacing: spacing }));
        return (await LoadedModel.open(await readModelFolder(folder))).schedulerConfig.timestep_spacing;
      };
      assert.equal(await spacingOf('turbo-no-spacing', undefined), 'trailing', 'the variant fills what the file leaves out');
      assert.equal(await spacingOf('turbo-leading', 'leading'), 'leading', "the file's own spacing wins");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
