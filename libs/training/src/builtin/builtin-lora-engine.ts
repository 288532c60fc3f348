// LoRA training on the trainable demo model, entirely in TypeScript: for each step a batch of
// images (and, with prior preservation, as many class pictures), a random timestep and noise per
// image, the ε-prediction of the UNet with the LoRA merged, the gradient of the denoising loss with
// respect to up and down, and an Adam update. Deterministic for a seed; resumable bit for bit.
import { promptEmbeddingOf, trainableCleanLatent } from '@atelier/demo-model';
import type { TrainingImage } from '../dataset/training-example.js';
import type { PreparedTraining, TrainerEngine, TrainingCheckpoint } from '../engine/trainer-engine.js';
import { InvalidTrainingJobError, type TrainingJob } from '../engine/training-job.js';
import { initialLoraWeights, parseLora, serializeLora, type LoraWeights } from '../lora/lora-weights.js';
import { trainingMetadata } from '../lora/training-metadata.js';
import { Adam } from './adam.js';
import { drawNoise, meanLoss, withPriors } from './denoising-step.js';
import { jobFingerprint } from './job-fingerprint.js';
import { DEMO_VAE_DOWNSCALE, encodeDemoLatent } from './latent-encoding.js';
import { LoopedTraining } from './looped-training.js';
import { LoraDenoiser, type DenoisingExample, type LoraGradients } from './lora-denoiser.js';
import { CheckpointMismatchError, parseOptimizerState } from './optimizer-state.js';
import { decodeDemoLatent } from './sample-preview.js';
import { openTrainableBase } from './trainable-base.js';
import { checkResumable, freshLoopState, loopOptimizerState, resumedLoopState, totalEpochsOf, type LoopState } from './training-loop.js';
import { TrainingRandom } from './training-random.js';

export interface BuiltInLoraEngineOptions {
  /** Clock for the ss_training_*_at metadata (tests pin it). */
  readonly now?: () => Date;
}

interface SamplePrompt {
  readonly prompt: string;
  readonly fixedLatent: Float32Array;
  readonly embedding: Float32Array;
}

interface Prepared {
  readonly job: TrainingJob;
  readonly denoiser: LoraDenoiser;
  readonly instances: readonly DenoisingExample[];
  /** Class pictures for prior preservation, taken in turn (empty: none). */
  readonly priors: readonly DenoisingExample[];
  readonly samples: readonly SamplePrompt[];
  readonly shape: Omit<LoraWeights, 'down' | 'up'>;
  readonly scalingFactor: number;
  readonly fingerprint: string;
}

interface RunState extends LoopState {
  weights: LoraWeights;
}

const OPTIMIZER = 'atelier.builtin.Adam(betas=(0.9, 0.999), eps=1e-08, weight_decay=0)';

export class BuiltInLoraEngine implements TrainerEngine {
  readonly name = 'builtin';

  constructor(private readonly options: BuiltInLoraEngineOptions = {}) {}

  async prepare(job: TrainingJob): Promise<PreparedTraining> {
    const { params } = job;
    if (params.method !== 'lora') throw new InvalidTrainingJobError([{ field: 'method', message: 'this engine trains LoRAs only' }]);
    const base = await openTrainableBase(params.baseModel.dir);
    try {
      const { contract } = base;
      if (contract.predictionType !== 'epsilon') throw new InvalidTrainingJobError([{ field: 'baseModel', message: 'the built-in engine trains epsilon-prediction models only' }]);
      const { width, height } = params.resolution;
      const latent = { width: width / DEMO_VAE_DOWNSCALE, height: height / DEMO_VAE_DOWNSCALE };
      const target = async (prompt: string): Promise<{ fixedLatent: Float32Array; embedding: Float32Array }> => {
        const pooled = await base.encode(prompt);
        return { fixedLatent: trainableCleanLatent(pooled, base.weightTransposed, contract, latent.width, latent.height), embedding: promptEmbeddingOf(pooled, contract) };
      };
      const instances: DenoisingExample[] = [];
      for (const example of job.dataset) {
        instances.push({ ...(await target(example.caption)), cleanLatent: encodeDemoLatent(example.image, contract.scalingFactor), lossWeight: 1 });
      }
      const priors: DenoisingExample[] = [];
      if (params.priorPreservation) {
        const { classPrompt, weight } = params.priorPreservation;
        if (job.priorImages !== undefined && job.priorImages.length > 0) {
          // DreamBooth-style: the class pictures the farm drew with the base model.
          for (const example of job.priorImages) priors.push({ ...(await target(example.caption)), cleanLatent: encodeDemoLatent(example.image, contract.scalingFactor), lossWeight: weight });
        } else {
          // The base model's own picture of the class: an exact denoiser draws exactly its x0.
          const classTarget = await target(classPrompt);
          priors.push({ ...classTarget, cleanLatent: classTarget.fixedLatent, lossWeight: weight });
        }
      }
      const samples: SamplePrompt[] = [];
      for (const prompt of params.samplePrompts) samples.push({ prompt, ...(await target(prompt)) });
      return new BuiltInTraining(
        {
          job,
          denoiser: new LoraDenoiser(contract.residual, latent),
          instances,
          priors,
          samples,
          shape: { prefix: contract.kohyaPrefix, rank: params.network.rank, alpha: params.network.alpha, inFeatures: base.inFeatures, outFeatures: base.outFeatures },
          scalingFactor: contract.scalingFactor,
          fingerprint: jobFingerprint(job),
        },
        this.options.now ?? (() => new Date()),
      );
    } finally {
      // Every prompt is encoded by now; training itself needs no session.
      await base.dispose();
    }
  }
}

class BuiltInTraining extends LoopedTraining<RunState, Prepared> {
  protected result(state: RunState, startedAt: Date, finishedAt: Date): { safetensors: Uint8Array; metadata: Record<string, string> } {
    const metadata = this.metadata(state, startedAt, finishedAt);
    return { safetensors: serializeLora(state.weights, metadata), metadata };
  }

  protected fresh(): RunState {
    const { params } = this.prepared.job;
    const random = TrainingRandom.fromSeed(params.seed);
    const weights = initialLoraWeights(this.prepared.shape, random);
    const adam = Adam.fresh({ learningRate: params.learningRate }, new Map([['down', weights.down], ['up', weights.up]]));
    return { ...freshLoopState(adam, random), weights };
  }

  protected resume(checkpoint: TrainingCheckpoint): RunState {
    const optimizer = parseOptimizerState(checkpoint.optimizerState);
    checkResumable(checkpoint, optimizer, this.prepared.fingerprint, this.totalSteps);
    if (optimizer.order.length !== 0 && optimizer.order.length !== this.prepared.instances.length) throw new CheckpointMismatchError('the data order does not match the dataset');
    let weights: LoraWeights;
    try {
      weights = parseLora(checkpoint.loraState, this.prepared.shape);
    } catch (error) {
      throw new CheckpointMismatchError((error as Error).message);
    }
    if (weights.alpha !== this.prepared.shape.alpha) throw new CheckpointMismatchError(`alpha ${weights.alpha}, the job says ${this.prepared.shape.alpha}`);
    const adam = new Adam({ learningRate: this.prepared.job.params.learningRate }, optimizer.moments, optimizer.adamStep);
    for (const [name, values] of [['down', weights.down], ['up', weights.up]] as const) {
      if (adam.moments.get(name)?.expAvg.length !== values.length) throw new CheckpointMismatchError(`Adam moments of ${name} do not match the LoRA`);
    }
    return { ...resumedLoopState(checkpoint.step, adam, optimizer), weights };
  }

  /** One optimiser step; returns the batch loss. */
  protected trainStep(state: RunState, batch: readonly number[], learningRate: number): number {
    const { denoiser, instances, priors, job } = this.prepared;
    const examples = withPriors(instances, batch, priors, state.step, job.params.batchSize);
    const draws = drawNoise(state.random, examples.length, denoiser);
    const gradients: LoraGradients = { down: new Float64Array(state.weights.down.length), up: new Float64Array(state.weights.up.length) };
    const loss = meanLoss(examples, draws, job.params.minSnrGamma, (example, draw, options) => denoiser.lossAndGradient(state.weights, example, draw, options, gradients));
    state.adam.update(
      new Map([['down', state.weights.down], ['up', state.weights.up]]),
      new Map<string, ArrayLike<number>>([['down', gradients.down], ['up', gradients.up]]),
      learningRate,
    );
    return loss;
  }

  protected preview(state: RunState, sample: SamplePrompt): TrainingImage {
    const { weights } = state;
    const { denoiser, scalingFactor } = this.prepared;
    const delta = denoiser.cleanLatentDelta(weights, sample.embedding);
    const latent = sample.fixedLatent.map((value, i) => value + delta[i]);
    return decodeDemoLatent(latent, denoiser.latent.width, denoiser.latent.height, scalingFactor);
  }

  private metadata(state: RunState, startedAt: Date, finishedAt?: Date): Record<string, string> {
    const { job } = this.prepared;
    return trainingMetadata({
      jobId: job.id,
      params: job.params,
      captions: job.dataset.map((example) => example.caption),
      engine: 'builtin',
      optimizer: OPTIMIZER,
      stepsDone: state.step,
      epoch: state.epoch,
      batchesPerEpoch: this.batchesPerEpoch,
      totalEpochs: totalEpochsOf(this.totalSteps, this.batchesPerEpoch),
      startedAt,
      finishedAt,
    });
  }

  protected checkpoint(state: RunState, startedAt: Date): TrainingCheckpoint {
    return {
      step: state.step,
      loraState: serializeLora(state.weights, this.metadata(state, startedAt)),
      optimizerState: loopOptimizerState(state, this.prepared.fingerprint),
    };
  }
}
