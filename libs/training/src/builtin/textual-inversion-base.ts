// The parts of a trainable demo model textual inversion reads: W of the (frozen) residual layer,
// the text encoder's one token table (found the way @atelier/adapters finds it when it appends an
// embedding's rows at generation time), and, per prompt, the terms e is built from. The new
// token is tokenized exactly as generation tokenizes it (TokenInjectingTokenizer), its ids being
// the rows appended after the vocabulary.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelGraph, OnnxModel, findTokenEmbedding } from '@atelier/adapters';
import { NotTrainableModelError, readTrainableContract, residualWeightShape, trainableCleanLatent, trainableTokenRowLayout, type TrainableDemoContract } from '@atelier/demo-model';
import { ClipTokenizer, TokenInjectingTokenizer } from '@atelier/diffusion';
import { InvalidTrainingJobError } from '../engine/training-job.js';

/** What e of one prompt is made of: e = (ordinarySum + Σ_v occurrences[v]·x_v) / count. */
export interface PromptTerms {
  /** The demo picture the prompt draws (features of the new token = the initializer's), [4, h, w], residual left out. */
  readonly fixedLatent: Float32Array;
  /** Σ of the e-rows of the prompt's ordinary tokens. */
  readonly ordinarySum: Float64Array;
  /** Words counted (the table's count column; each new vector counts 1). */
  readonly count: number;
  /** How often each new vector occurs. */
  readonly occurrences: Float64Array;
}

export interface TextualInversionBase {
  readonly contract: TrainableDemoContract;
  readonly weightTransposed: Float32Array;
  /** Width of a token row ([features | e-row | 1]). */
  readonly rowWidth: number;
  /** The initializer's whole row: features and count stay, the e-row is where training starts. */
  readonly initializerRow: Float32Array;
  terms(prompt: string, field: string): Promise<PromptTerms>;
  dispose(): Promise<void>;
}

export interface TextualInversionToken {
  readonly placeholderToken: string;
  readonly initializerToken: string;
  readonly numVectors: number;
}

export async function openTextualInversionBase(dir: string, token: TextualInversionToken, latent: { readonly width: number; readonly height: number }): Promise<TextualInversionBase> {
  const contract = await readTrainableContract(dir).catch((error: unknown) => {
    // Any other model: a permanent refusal of the job, not a failure worth retrying.
    if (error instanceof NotTrainableModelError) throw new InvalidTrainingJobError([{ field: 'baseModel', message: `${error.message}; the built-in engine learns embeddings on demo-trainable-pretrained` }]);
    throw error;
  });
  const unet = await OnnxModel.load(join(dir, 'unet', 'model.onnx'));
  const slot = new ModelGraph(unet).weightSlot(contract.module);
  const { out, in: inFeatures } = residualWeightShape(contract);
  if (slot === undefined || slot.layout !== 'in-out' || slot.dims.join(',') !== `${inFeatures},${out}`) {
    throw new InvalidTrainingJobError([{ field: 'baseModel', message: `${dir}: the UNet has no [${inFeatures}, ${out}] residual layer` }]);
  }
  const weightTransposed = await unet.readFloat32(slot.initializer);
  if (weightTransposed.every((value) => value === 0)) {
    throw new InvalidTrainingJobError([{ field: 'baseModel', message: 'its residual layer is zero, so no word embedding changes what it draws: textual inversion needs a pretrained base (demo-trainable-pretrained)' }]);
  }
  const textEncoderPath = join(dir, 'text_encoder', 'model.onnx');
  const table = findTokenEmbedding(await OnnxModel.load(textEncoderPath));
  const layout = trainableTokenRowLayout(contract.embeddingSize);
  if (table.hidden !== layout.width) throw new InvalidTrainingJobError([{ field: 'baseModel', message: `its token table is ${table.hidden} wide, the trainable layout is ${layout.width}` }]);
  const rows = await (await OnnxModel.load(textEncoderPath)).readFloat32(table.initializer);

  const clip = await ClipTokenizer.fromFolder(join(dir, 'tokenizer'));
  const initializerIds = clip.tokenize(token.initializerToken);
  if (initializerIds.length !== 1) {
    throw new InvalidTrainingJobError([{ field: 'textualInversion.initializerToken', message: `"${token.initializerToken}" is ${initializerIds.length} tokens for this tokenizer; use a word that is one` }]);
  }
  const initializerId = initializerIds[0];
  const newIds = Array.from({ length: token.numVectors }, (_, v) => table.vocabSize + v);
  const tokenizer = new TokenInjectingTokenizer(clip, new Map([[token.placeholderToken, newIds]]));
  const session = await ort.InferenceSession.create(textEncoderPath, { executionProviders: ['cpu'] });
  const zeroWeights = new Float32Array(weightTransposed.length);
  const row = (id: number): Float32Array => rows.subarray(id * layout.width, (id + 1) * layout.width);

  return {
    contract,
    weightTransposed,
    rowWidth: layout.width,
    initializerRow: row(initializerId).slice(),
    async terms(prompt, field) {
      const tokens = tokenizer.tokenize(prompt);
      if (tokens.length > clip.maxLength - 2) {
        throw new InvalidTrainingJobError([{ field, message: `"${prompt.slice(0, 80)}" is ${tokens.length} tokens; textual inversion trains on one ${clip.maxLength - 2}-token chunk` }]);
      }
      const ordinarySum = new Float64Array(contract.embeddingSize);
      const occurrences = new Float64Array(token.numVectors);
      let count = 0;
      for (const id of tokens) {
        if (id >= table.vocabSize) {
          occurrences[id - table.vocabSize]++;
          count++;
          continue;
        }
        const values = row(id);
        for (let k = 0; k < contract.embeddingSize; k++) ordinarySum[k] += values[layout.embedding + k];
        count += values[layout.count];
      }
      // The summary (demo picture) with the new token's features, which are the initializer's.
      const ids = [clip.bosId, ...tokens.map((id) => (id >= table.vocabSize ? initializerId : id)), clip.eosId];
      while (ids.length < clip.maxLength) ids.push(clip.padId);
      const results = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]) });
      let pooled: Float32Array;
      try {
        pooled = (results.last_hidden_state.data as Float32Array).slice(0, contract.hiddenSize);
      } finally {
        for (const tensor of Object.values(results)) tensor.dispose();
      }
      return { fixedLatent: trainableCleanLatent(pooled, zeroWeights, contract, latent.width, latent.height), ordinarySum, count, occurrences };
    },
    dispose: () => session.release(),
  };
}
