import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '@atelier/contracts';
import { renameFields } from '../field-names.js';
import { ApiError } from '../../common/api-error.js';
import { openAiImagesRequestSchema } from './images-request.schema.js';
import { OPENAI_FIELD_NAMES, toGenerationRequest } from './to-generation-request.js';

const served = new Set(['demo-sd15', 'demo-trainable']);
const translate = (model: string | undefined) =>
  toGenerationRequest(openAiImagesRequestSchema(DEFAULT_LIMITS).parse({ prompt: 'a cat', ...(model === undefined ? {} : { model }) }), served, 'demo-sd15');

describe('OpenAI images model field', () => {
  it('takes a served model by id or catalog id, and falls back to the default for OpenAI model names', () => {
    assert.equal(translate('demo-trainable').model, 'demo-trainable');
    assert.equal(translate('pipeline:demo-trainable').model, 'demo-trainable');
    assert.equal(translate('dall-e-3').model, 'demo-sd15');
    assert.equal(translate(undefined).model, 'demo-sd15');
    assert.equal(translate('dall-e-3').loras, undefined);
  });

  it("runs a training's model_id (lora:<name>) as that LoRA on the default model, and names `model` when it is refused", () => {
    const request = translate('lora:zxq-checker');
    assert.equal(request.model, 'demo-sd15');
    assert.deepEqual(request.loras, [{ name: 'zxq-checker', weight: 1 }]);
    const refused = renameFields(ApiError.validation([{ field: 'loras.0.name', message: 'LoRA "zxq-checker" is not available on any worker class' }]), OPENAI_FIELD_NAMES);
    assert.ok(refused instanceof ApiError);
    assert.match(JSON.stringify(refused.getResponse()), /"field":"model"/);
  });
});
