import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TRAINING_JOB_VERSION, trainingJobSchema, trainingRequestSchema, trainingTriggerWord } from './training.js';

const BASE = { base_model: 'demo-trainable', dataset: `upl_${'0'.repeat(32)}` };
const issues = (input: unknown): Array<[string, string]> => {
  const parsed = trainingRequestSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
};

test('without method a request is a LoRA training, as stored requests from before methods existed', () => {
  const parsed = trainingRequestSchema.parse({ ...BASE, trigger_word: 'zxq' });
  assert.equal(parsed.method, 'lora');
  assert.equal(parsed.method === 'lora' && parsed.rank, 4);
  assert.equal(trainingTriggerWord(parsed), 'zxq');
  assert.deepEqual(trainingRequestSchema.parse(parsed), parsed, 'a stored request reads back as itself');
});

test('textual inversion takes its own fields, with no LoRA defaults, and reads back as itself', () => {
  const parsed = trainingRequestSchema.parse({ ...BASE, method: 'textual_inversion', placeholder_token: 'zxqti', initializer_token: 'pattern' });
  assert.equal(parsed.method, 'textual_inversion');
  assert.deepEqual(parsed.method === 'textual_inversion' && [parsed.placeholder_token, parsed.initializer_token, parsed.num_vectors], ['zxqti', 'pattern', 1]);
  assert.equal('rank' in parsed, false);
  assert.equal(trainingTriggerWord(parsed), 'zxqti');
  assert.deepEqual(trainingRequestSchema.parse(parsed), parsed);
});

test("a field of another method is refused by name; a method's required fields are named when missing", () => {
  assert.deepEqual(issues({ ...BASE, method: 'textual_inversion', placeholder_token: 'a', initializer_token: 'b', rank: 4, class_prompt: 'x' }), [
    ['rank', 'applies only to method "lora"'],
    ['class_prompt', 'applies only to method "lora"'],
  ]);
  assert.deepEqual(issues({ ...BASE, trigger_word: 'zxq', initializer_token: 'b' }), [['initializer_token', 'applies only to method "textual_inversion"']]);
  assert.deepEqual(issues({ ...BASE, method: 'textual_inversion' }).map(([field]) => field), ['placeholder_token', 'initializer_token']);
  assert.deepEqual(issues({ ...BASE }).map(([field]) => field), ['trigger_word']);
  assert.deepEqual(issues({ ...BASE, method: 'hypernetwork', trigger_word: 'zxq' }).map(([field]) => field), ['method']);
  assert.deepEqual(issues({ ...BASE, method: 'finetune', trigger_word: 'zxq' }), [['trigger_word', 'applies only to method "lora"']]);
});

test('job payloads: v2 carries the method; a queued v1 job reads as a v2 LoRA job', () => {
  assert.equal(TRAINING_JOB_VERSION, 2);
  assert.deepEqual(trainingJobSchema.parse({ v: 1, trainingId: 'trn_1', submittedAt: '2026-01-01T00:00:00Z' }), { v: 2, trainingId: 'trn_1', method: 'lora', submittedAt: '2026-01-01T00:00:00Z' });
  const v2 = { v: 2, trainingId: 'trn_2', method: 'textual_inversion', submittedAt: '2026-01-01T00:00:00Z' };
  assert.deepEqual(trainingJobSchema.parse(v2), v2);
  assert.deepEqual(trainingJobSchema.parse({ ...v2, method: 'dreambooth' }), { ...v2, method: 'dreambooth' });
  assert.equal(trainingJobSchema.safeParse({ ...v2, method: 'hypernetwork' }).success, false);
  assert.equal(trainingJobSchema.safeParse({ v: 3, trainingId: 'trn_3', submittedAt: 'x' }).success, false);
});

test('DreamBooth takes an identifier, an instance prompt that uses it and a class prompt that does not', () => {
  const parsed = trainingRequestSchema.parse({ ...BASE, method: 'dreambooth', identifier: 'sks', instance_prompt: 'a photo of sks dog', class_prompt: 'a photo of dog' });
  assert.deepEqual(parsed.method === 'dreambooth' && [parsed.identifier, parsed.num_class_images, parsed.prior_loss_weight], ['sks', 4, 1]);
  assert.equal(trainingTriggerWord(parsed), 'sks');
  assert.deepEqual(trainingRequestSchema.parse(parsed), parsed, 'a stored request reads back as itself');
  assert.deepEqual(issues({ ...BASE, method: 'dreambooth', identifier: 'sks', instance_prompt: 'a photo of a dog' }), [['instance_prompt', 'must contain the identifier as a word']]);
  assert.deepEqual(issues({ ...BASE, method: 'dreambooth', identifier: 'sks', instance_prompt: 'sks dog', class_prompt: 'sks' }).map(([field]) => field), ['class_prompt']);
  assert.deepEqual(issues({ ...BASE, method: 'dreambooth', identifier: 'sks', instance_prompt: 'sks dog', rank: 4, placeholder_token: 'x' }), [
    ['rank', 'applies only to method "lora"'],
    ['placeholder_token', 'applies only to method "textual_inversion"'],
  ]);
  assert.deepEqual(issues({ ...BASE, trigger_word: 'zxq', num_class_images: 3 }), [['num_class_images', 'applies only to method "dreambooth"']]);
  assert.deepEqual(issues({ ...BASE, method: 'dreambooth' }).map(([field]) => field), ['identifier', 'instance_prompt']);
});

test('DreamBooth LoRA takes the DreamBooth fields plus rank and alpha', () => {
  const parsed = trainingRequestSchema.parse({ ...BASE, method: 'dreambooth_lora', identifier: 'sks', instance_prompt: 'a photo of sks dog', class_prompt: 'a photo of dog', rank: 8 });
  assert.deepEqual(parsed.method === 'dreambooth_lora' && [parsed.identifier, parsed.rank, parsed.alpha, parsed.num_class_images], ['sks', 8, 4, 4]);
  assert.equal(trainingTriggerWord(parsed), 'sks');
  assert.deepEqual(trainingRequestSchema.parse(parsed), parsed);
  assert.deepEqual(issues({ ...BASE, method: 'dreambooth_lora', identifier: 'sks', instance_prompt: 'sks', placeholder_token: 'x' }), [['placeholder_token', 'applies only to method "textual_inversion"']]);
  assert.deepEqual(issues({ ...BASE, method: 'dreambooth', identifier: 'sks', instance_prompt: 'sks', alpha: 2 }), [['alpha', 'applies only to method "lora"']]);
  assert.deepEqual(issues({ ...BASE, method: 'dreambooth_lora', identifier: 'sks', instance_prompt: 'a dog' }), [['instance_prompt', 'must contain the identifier as a word']]);
});

test('finetune takes only the common fields and an output name; captions come with the dataset', () => {
  const parsed = trainingRequestSchema.parse({ ...BASE, method: 'finetune', output_name: 'tuned' });
  assert.deepEqual(parsed.method === 'finetune' && parsed.output_name, 'tuned');
  assert.equal(trainingTriggerWord(parsed), undefined);
  assert.deepEqual(trainingRequestSchema.parse(parsed), parsed);
  assert.deepEqual(issues({ ...BASE, method: 'finetune', class_prompt: 'a dog', rank: 2 }).map(([field]) => field).sort(), ['class_prompt', 'rank']);
});
