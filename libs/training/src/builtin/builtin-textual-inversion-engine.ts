// Textual inversion on the trainable demo model, entirely in TypeScript: the model (a pretrained,
// frozen residual layer W) stays as it is; only the e-rows of the new token's vectors are learned,
// by Adam on the denoising loss, starting from the initializer word's row (kohya's --init_word).
// The rows' other parts (the demo word features and the word count 1) are the initializer's and
// stay fixed: they feed no differentiable path (one-hot flags and a counter). Same step loop,
// randomness, checkpoints and resume guarantees as the LoRA engine.
import { trainableTokenRowLayout } from '@atelier/demo-model';
import type { TrainingImage } from '../dataset/training-example.js';
import type { PreparedTraining, TrainerEngine, TrainingCheckpoint } from '../engine/trainer-engine.js';
import { InvalidTrainingJobError, type TrainingJob } from '../engine/training-job.js';
import { EmbeddingFileError, parseEmbedding, serializeEmbedding } from '../textual-inversion/embedding-file.js';
import { textualInversionMetadata } from '../textual-inversion/embedding-metadata.js';
import { Adam } from './adam.js';
import { drawNoise, meanLoss } from './denoising-step.js';
import { EmbeddingDenoiser, type EmbeddingExample } from './embedding-denoiser.js';
import { jobFingerprint } from './job-fingerprint.js';
import { DEMO_VAE_DOWNSCALE, encodeDemoLatent } from './latent-encoding.js';
import { LoopedTraining } from './looped-training.js';
import { CheckpointMismatchError, parseOptimizerState } from './optimizer-state.js';
import { decodeDemoLatent } from './sample-preview.js';
import { openTextualInversionBase, type PromptTerms } from './textual-inversion-base.js';
import { checkResumable, freshLoopState, loopOptimizerState, resumedLoopState, type LoopState } from './training-loop.js';
import { TrainingRandom } from './training-random.js';

export interface BuiltInTextualInversionEngineOptions {
  readonly now?: () => Date;
}

interface Prepared {
  readonly job: TrainingJob;
  readonly denoiser: EmbeddingDenoiser;
  readonly instances: readonly EmbeddingExample[];
  readonly samples: readonly (PromptTerms & { readonly prompt: string })[];
  readonly initializerRow: Float32Array;
  readonly rowWidth: number;
  readonly embeddingOffset: number;
  readonly numVectors: number;
  readonly scalingFactor: number;
  readonly fingerprint: string;
}

interface RunState extends LoopState {
  /** The e-rows being learned, [numVectors, embeddingSize]. */
  vectors: Float32Array;
}

const OPTIMIZER = 'atelier.builtin.Adam(betas=(0.9, 0.999), eps=1e-08, weight_decay=0)';
const PARAMETER = 'token_vectors';

export class BuiltInTextualInversionEngine implements TrainerEngine {
  readonly name = 'builtin';

  constructor(private readonly options: BuiltInTextualInversionEngineOptions = {}) {}

  async prepare(job: TrainingJob): Promise<PreparedTraining> {
    const { params } = job;
    const token = params.textualInversion;
    if (params.method !== 'textual_inversion' || token === undefined) throw new InvalidTrainingJobError([{ field: 'method', message: 'this engine trains textual inversion only' }]);
    const { width, height } = params.resolution;
    const latent = { width: width / DEMO_VAE_DOWNSCALE, height: height / DEMO_VAE_DOWNSCALE };
    const base = await openTextualInversionBase(params.baseModel.dir, token, latent);
    try {
      const { contract } = base;
      if (contract.predictionType !== 'epsilon') throw new InvalidTrainingJobError([{ field: 'baseModel', message: 'the built-in engine trains epsilon-prediction models only' }]);
      const instances: EmbeddingExample[] = [];
      for (const example of job.dataset) {
        const terms = await base.terms(example.caption, `dataset.${example.name}`);
        if (terms.occurrences.every((times) => times === 0)) {
          throw new InvalidTrainingJobError([{ field: `dataset.${example.name}`, message: `its caption "${example.caption.slice(0, 80)}" does not contain the placeholder token ${token.placeholderToken}` }]);
        }
        instances.push({ ...terms, cleanLatent: encodeDemoLatent(example.image, contract.scalingFactor), lossWeight: 1 });
      }
      const samples = [];
      for (const [index, prompt] of params.samplePrompts.entries()) samples.push({ prompt, ...(await base.terms(prompt, `samplePrompts.${index}`)) });
      const layout = trainableTokenRowLayout(contract.embeddingSize);
      return new BuiltInTextualInversion(
        {
          job,
          denoiser: new EmbeddingDenoiser(contract.residual, latent, base.weightTransposed, contract.embeddingSize),
          instances,
          samples,
          initializerRow: base.initializerRow,
          rowWidth: base.rowWidth,
          embeddingOffset: layout.embedding,
          numVectors: token.numVectors,
          scalingFactor: contract.scalingFactor,
          fingerprint: jobFingerprint(job),
        },
        this.options.now ?? (() => new Date()),
      );
    } finally {
      await base.dispose();
    }
  }
}

class BuiltInTextualInversion extends LoopedTraining<RunState, Prepared> {
  protected result(state: RunState, startedAt: Date, finishedAt: Date): { safetensors: Uint8Array; metadata: Record<string, string> } {
    const metadata = this.metadata(state, startedAt, finishedAt);
    return { safetensors: this.embeddingFile(state.vectors, metadata), metadata };
  }

  protected fresh(): RunState {
    const { params } = this.prepared.job;
    const { numVectors, initializerRow, embeddingOffset, denoiser } = this.prepared;
    const vectors = new Float32Array(numVectors * denoiser.embeddingSize);
    // Every vector starts as the initializer word's e-row (kohya repeats --init_word's tokens).
    for (let v = 0; v < numVectors; v++) vectors.set(initializerRow.subarray(embeddingOffset, embeddingOffset + denoiser.embeddingSize), v * denoiser.embeddingSize);
    const adam = Adam.fresh({ learningRate: params.learningRate }, new Map([[PARAMETER, vectors]]));
    return { ...freshLoopState(adam, TrainingRandom.fromSeed(params.seed)), vectors };
  }

  protected resume(checkpoint: TrainingCheckpoint): RunState {
    const optimizer = parseOptimizerState(checkpoint.optimizerState);
    checkResumable(checkpoint, optimizer, this.prepared.fingerprint, this.totalSteps);
    if (optimizer.order.length !== 0 && optimizer.order.length !== this.prepared.instances.length) throw new CheckpointMismatchError('the data order does not match the dataset');
    let vectors: Float32Array;
    try {
      vectors = this.vectorsOf(checkpoint.loraState);
    } catch (error) {
      if (error instanceof EmbeddingFileError) throw new CheckpointMismatchError(error.message);
      throw error;
    }
    const adam = new Adam({ learningRate: this.prepared.job.params.learningRate }, optimizer.moments, optimizer.adamStep);
    if (adam.moments.get(PARAMETER)?.expAvg.length !== vectors.length) throw new CheckpointMismatchError('Adam moments do not match the embedding');
    return { ...resumedLoopState(checkpoint.step, adam, optimizer), vectors };
  }

  protected trainStep(state: RunState, batch: readonly number[], learningRate: number): number {
    const { denoiser, instances, job } = this.prepared;
    const examples = batch.map((index) => instances[index]);
    const draws = drawNoise(state.random, examples.length, denoiser);
    const gradient = new Float64Array(state.vectors.length);
    const loss = meanLoss(examples, draws, job.params.minSnrGamma, (example, draw, options) => denoiser.lossAndGradient(state.vectors, example, draw, options, gradient));
    state.adam.update(new Map([[PARAMETER, state.vectors]]), new Map<string, ArrayLike<number>>([[PARAMETER, gradient]]), learningRate);
    return loss;
  }

  protected preview(state: RunState, sample: PromptTerms): TrainingImage {
    const { vectors } = state;
    const { denoiser, scalingFactor } = this.prepared;
    return decodeDemoLatent(denoiser.cleanLatent(vectors, sample), denoiser.latent.width, denoiser.latent.height, scalingFactor);
  }

  /** The A1111 file: the initializer's rows with the learned e-rows in place. */
  private embeddingFile(vectors: Float32Array, metadata: Record<string, string>): Uint8Array {
    const { numVectors, rowWidth, initializerRow, embeddingOffset, denoiser } = this.prepared;
    const rows = new Float32Array(numVectors * rowWidth);
    for (let v = 0; v < numVectors; v++) {
      rows.set(initializerRow, v * rowWidth);
      rows.set(vectors.subarray(v * denoiser.embeddingSize, (v + 1) * denoiser.embeddingSize), v * rowWidth + embeddingOffset);
    }
    return serializeEmbedding({ rows, count: numVectors, width: rowWidth }, metadata);
  }

  private vectorsOf(bytes: Uint8Array): Float32Array {
    const { numVectors, rowWidth, initializerRow, embeddingOffset, denoiser } = this.prepared;
    const { rows } = parseEmbedding(bytes, { count: numVectors, width: rowWidth });
    const vectors = new Float32Array(numVectors * denoiser.embeddingSize);
    for (let v = 0; v < numVectors; v++) {
      for (let k = 0; k < rowWidth; k++) {
        const learned = k >= embeddingOffset && k < embeddingOffset + denoiser.embeddingSize;
        if (!learned && rows[v * rowWidth + k] !== initializerRow[k]) throw new EmbeddingFileError(`row ${v} column ${k} is not the initializer's`);
      }
      vectors.set(rows.subarray(v * rowWidth + embeddingOffset, v * rowWidth + embeddingOffset + denoiser.embeddingSize), v * denoiser.embeddingSize);
    }
    return vectors;
  }

  private metadata(state: RunState, startedAt: Date, finishedAt?: Date): Record<string, string> {
    const { job } = this.prepared;
    return textualInversionMetadata({ jobId: job.id, params: job.params, captions: job.dataset.map((example) => example.caption), engine: 'builtin', optimizer: OPTIMIZER, stepsDone: state.step, startedAt, finishedAt });
  }

  protected checkpoint(state: RunState, startedAt: Date): TrainingCheckpoint {
    return {
      step: state.step,
      loraState: this.embeddingFile(state.vectors, this.metadata(state, startedAt)),
      optimizerState: loopOptimizerState(state, this.prepared.fingerprint),
    };
  }
}
