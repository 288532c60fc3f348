// LoRA key mapping on the tiny SSD-1B and Vega UNets (test/fixtures/distilled-sdxl): the files'
// real key forms — kohya SDXL keys with diffusers module names (as LCM-LoRA files ship), kohya
// keys with original LDM block names (sd-scripts' SDXL trainer), PEFT keys — find the weights of
// these asymmetric UNets, and keys of layers these UNets do not have are reported, not dropped.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ModelGraph, OnnxModel, planLoraMerge } from '@atelier/adapters';
import { parseSafetensors, serializeSafetensors, type TensorInput } from '@atelier/model-formats';
import { distilledFixture } from '@atelier/testing';

async function unetGraph(variant: string): Promise<ModelGraph> {
  return new ModelGraph(await OnnxModel.load(distilledFixture(`${variant}/unet/model.onnx`)));
}

async function loraFile(name: string) {
  return parseSafetensors(new Uint8Array(await readFile(distilledFixture(`loras/${name}.safetensors`))));
}

/** Attention projections of every transformer layer in the graph (what LCM-LoRAs adapt). */
function attentionModules(graph: ModelGraph): string[] {
  return [...graph.modules.keys()].filter((module) => /\.transformer_blocks\.\d+\.attn[12]\.(to_q|to_k|to_v|to_out\.0)$/.test(module));
}

function f32(values: number[], shape: number[]): TensorInput {
  return { dtype: 'F32', shape, data: new Uint8Array(Float32Array.from(values).buffer) };
}

describe('LoRA keys on the SSD-1B and Vega UNets', () => {
  it('the VegaRT-style LCM-LoRA (kohya keys, diffusers names) matches every attention projection of the Vega UNet', async () => {
    const graph = await unetGraph('vega-tiny');
    const plan = await planLoraMerge({ component: 'unet', graph }, [{ name: 'vegart-lcm-tiny', file: await loraFile('vegart-lcm-tiny'), weight: 1 }]);
    const targets = attentionModules(graph).length;
    console.log(`vega-tiny + vegart-lcm-tiny: ${plan.report.applied} modules merged of ${targets} attention projections; unmatched ${plan.report.unmatchedCount}: ${plan.report.unmatched.join('; ')}`);
    assert.equal(plan.report.applied, targets);
    assert.equal(plan.updates.size, targets, 'one initializer updated per merged module');
    assert.equal(plan.report.unmatchedCount, 1);
    assert.match(plan.report.unmatched[0], /up_blocks_0_attentions_0_transformer_blocks_9_attn1_to_q.*no weight in the model/);
  });

  it('a PEFT LoRA (unet.<module>.lora_A/lora_B) matches every attention projection of the SSD-1B UNet, asymmetric up blocks included', async () => {
    const graph = await unetGraph('ssd-1b-tiny');
    const plan = await planLoraMerge({ component: 'unet', graph }, [{ name: 'ssd-1b-style-tiny', file: await loraFile('ssd-1b-style-tiny'), weight: 0.8 }]);
    const targets = attentionModules(graph);
    console.log(`ssd-1b-tiny + ssd-1b-style-tiny: ${plan.report.applied} modules merged of ${targets.length}; unmatched ${plan.report.unmatchedCount}`);
    assert.equal(plan.report.applied, targets.length);
    assert.equal(plan.report.unmatchedCount, 0);
    assert.ok(targets.includes('up_blocks.0.attentions.2.transformer_blocks.9.attn2.to_k'), 'the 10-layer up attention is there');
    assert.ok(!targets.includes('up_blocks.1.attentions.1.transformer_blocks.1.attn1.to_q'), 'the 1-layer up attention has one layer');
  });

  it('kohya keys with LDM block names map onto SSD-1B; layers SSD-1B lacks (mid-block attention, a 2nd layer of a 1-layer up attention) are reported', async () => {
    const graph = await unetGraph('ssd-1b-tiny');
    const ldm: Record<string, string> = {
      input_blocks_4_1_transformer_blocks_1_attn1_to_q: 'down_blocks.1.attentions.0.transformer_blocks.1.attn1.to_q',
      input_blocks_8_1_transformer_blocks_3_attn2_to_k: 'down_blocks.2.attentions.1.transformer_blocks.3.attn2.to_k',
      output_blocks_2_1_transformer_blocks_9_ff_net_2: 'up_blocks.0.attentions.2.transformer_blocks.9.ff.net.2',
      output_blocks_3_1_transformer_blocks_1_attn1_to_out_0: 'up_blocks.1.attentions.0.transformer_blocks.1.attn1.to_out.0',
      output_blocks_4_1_transformer_blocks_1_attn1_to_q: 'absent: up_blocks.1.attentions.1 has one layer',
      middle_block_1_transformer_blocks_0_attn1_to_q: 'absent: SSD-1B has no mid-block attention',
    };
    const tensors = new Map<string, TensorInput>();
    const rank = 2;
    for (const [stem, module] of Object.entries(ldm)) {
      const slot = graph.weightSlot(module);
      // PyTorch [out, in]; MatMul stores [in, out]. Absent layers take SSD-1B's widest shape.
      const [out, inner] = slot ? (slot.layout === 'in-out' ? [slot.dims[1], slot.dims[0]] : [slot.dims[0], slot.dims[1]]) : [32, 32];
      tensors.set(`lora_unet_${stem}.lora_down.weight`, f32(new Array<number>(rank * inner).fill(0.01), [rank, inner]));
      tensors.set(`lora_unet_${stem}.lora_up.weight`, f32(new Array<number>(out * rank).fill(0.01), [out, rank]));
      tensors.set(`lora_unet_${stem}.alpha`, f32([rank], []));
    }
    const file = parseSafetensors(serializeSafetensors(tensors, { ss_network_module: 'networks.lora', ss_base_model_version: 'sdxl_base_v1-0' }));
    const plan = await planLoraMerge({ component: 'unet', graph }, [{ name: 'ldm-keys', file, weight: 1 }]);
    console.log(`ssd-1b-tiny + LDM-named kohya keys: merged ${plan.report.applied}, unmatched ${plan.report.unmatchedCount}: ${plan.report.unmatched.join('; ')}`);
    assert.equal(plan.report.applied, 4);
    assert.equal(plan.report.unmatchedCount, 2);
    assert.ok(plan.report.unmatched.some((entry) => entry.includes('output_blocks_4_1_transformer_blocks_1')));
    assert.ok(plan.report.unmatched.some((entry) => entry.includes('middle_block_1')));
  });
});
