// DreamBooth (and finetune: the same without class pictures, on a captioned dataset) on the
// trainable demo model, in TypeScript: the UNet's learnable weight itself is
// optimised (no adapter) on the instance pictures, captioned with the unique identifier, and, for
// prior preservation, on as many class pictures (drawn by the base model from the class prompt)
// with the prior loss weight. Same random draws, Adam, schedule, checkpoints and bit-for-bit
// resume as the LoRA engine; the result is a checkpoint in Stable Diffusion names (see
// unet-checkpoint.ts) that writeFineTunedExport turns into a servable export.
import { promptEmbeddingOf, trainableCleanLatent } from '@atelier/demo-model';
import type { TrainingImage } from '../dataset/training-example.js';
import type { PreparedTraining, TrainerEngine, TrainingCheckpoint } from '../engine/trainer-engine.js';
import { InvalidTrainingJobError, type TrainingJob } from '../engine/training-job.js';
import { parseUnetCheckpoint, serializeUnetCheckpoint } from '../dreambooth/unet-checkpoint.js';
import { dreamboothMetadata } from '../dreambooth/dreambooth-metadata.js';
import { Adam } from './adam.js';
import { drawNoise, meanLoss, withPriors } from './denoising-step.js';
import { jobFingerprint } from './job-fingerprint.js';
import { DEMO_VAE_DOWNSCALE, encodeDemoLatent } from './latent-encoding.js';
import { LoopedTraining } from './looped-training.js';
import { CheckpointMismatchError, parseOptimizerState } from './optimizer-state.js';
import { decodeDemoLatent } from './sample-preview.js';
import { openTrainableBase } from './trainable-base.js';
import { checkResumable, freshLoopState, loopOptimizerState, resumedLoopState, type LoopState } from './training-loop.js';
import { TrainingRandom } from './training-random.js';
import { UnetWeightDenoiser, type UnetWeightExample } from './unet-weight-denoiser.js';

const OPTIMIZER = 'atelier.builtin.Adam(betas=(0.9, 0.999), eps=1e-08, weight_decay=0)';
const PARAMETER = 'unet';

interface Prompted {
  readonly prompt: string;
  readonly pictureLatent: Float32Array;
  readonly embedding: Float32Array;
}

interface Prepared {
  readonly job: TrainingJob;
  readonly denoiser: UnetWeightDenoiser;
  readonly baseWeight: Float32Array;
  readonly outFeatures: number;
  readonly instances: readonly UnetWeightExample[];
  readonly priors: readonly UnetWeightExample[];
  readonly samples: readonly Prompted[];
  readonly scalingFactor: number;
  readonly fingerprint: string;
}

interface RunState extends LoopState {
  weight: Float32Array;
}

export class BuiltInDreamBoothEngine implements TrainerEngine {
  readonly name = 'builtin';

  constructor(private readonly options: { readonly now?: () => Date } = {}) {}

  async prepare(job: TrainingJob): Promise<PreparedTraining> {
    const { params } = job;
    if (params.method !== 'dreambooth' && params.method !== 'finetune') throw new InvalidTrainingJobError([{ field: 'method', message: 'this engine trains DreamBooth and finetune only' }]);
    const base = await openTrainableBase(params.baseModel.dir);
    try {
      const { contract } = base;
      if (contract.predictionType !== 'epsilon') throw new InvalidTrainingJobError([{ field: 'baseModel', message: 'the built-in engine trains epsilon-prediction models only' }]);
      const latent = { width: params.resolution.width / DEMO_VAE_DOWNSCALE, height: params.resolution.height / DEMO_VAE_DOWNSCALE };
      const zero = new Float32Array(base.weightTransposed.length);
      const prompted = async (prompt: string): Promise<Prompted> => {
        const pooled = await base.encode(prompt);
        // The demo picture alone: the learnable layer's part is what training changes.
        return { prompt, pictureLatent: trainableCleanLatent(pooled, zero, contract, latent.width, latent.height), embedding: promptEmbeddingOf(pooled, contract) };
      };
      const examples = async (list: TrainingJob['dataset'], lossWeight: number): Promise<UnetWeightExample[]> => {
        const out: UnetWeightExample[] = [];
        for (const example of list) out.push({ ...(await prompted(example.caption)), cleanLatent: encodeDemoLatent(example.image, contract.scalingFactor), lossWeight });
        return out;
      };
      const samples: Prompted[] = [];
      for (const prompt of params.samplePrompts) samples.push(await prompted(prompt));
      return new DreamBoothTraining(
        {
          job,
          denoiser: new UnetWeightDenoiser(contract.residual, latent, base.inFeatures),
          baseWeight: base.weightTransposed,
          outFeatures: base.outFeatures,
          instances: await examples(job.dataset, 1),
          priors: params.priorPreservation ? await examples(job.priorImages ?? [], params.priorPreservation.weight) : [],
          samples,
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

class DreamBoothTraining extends LoopedTraining<RunState, Prepared> {
  protected result(state: RunState, startedAt: Date, finishedAt: Date): { safetensors: Uint8Array; metadata: Record<string, string> } {
    const metadata = this.metadata(state, startedAt, finishedAt);
    return { safetensors: this.weights(state.weight, metadata), metadata };
  }

  private weights(weight: Float32Array, metadata: Record<string, string>): Uint8Array {
    return serializeUnetCheckpoint({ weightTransposed: weight, inFeatures: this.prepared.denoiser.inFeatures, outFeatures: this.prepared.outFeatures }, metadata);
  }

  protected fresh(): RunState {
    const weight = Float32Array.from(this.prepared.baseWeight);
    const adam = Adam.fresh({ learningRate: this.prepared.job.params.learningRate }, new Map([[PARAMETER, weight]]));
    return { ...freshLoopState(adam, TrainingRandom.fromSeed(this.prepared.job.params.seed)), weight };
  }

  protected resume(checkpoint: TrainingCheckpoint): RunState {
    const optimizer = parseOptimizerState(checkpoint.optimizerState);
    checkResumable(checkpoint, optimizer, this.prepared.fingerprint, this.totalSteps);
    const { weightTransposed } = parseUnetCheckpoint(checkpoint.loraState, { inFeatures: this.prepared.denoiser.inFeatures, outFeatures: this.prepared.outFeatures });
    const adam = new Adam({ learningRate: this.prepared.job.params.learningRate }, optimizer.moments, optimizer.adamStep);
    if (adam.moments.get(PARAMETER)?.expAvg.length !== weightTransposed.length) throw new CheckpointMismatchError('Adam moments do not match the UNet weight');
    return { ...resumedLoopState(checkpoint.step, adam, optimizer), weight: weightTransposed };
  }

  /** One optimiser step over the batch plus as many class pictures (taken in turn); returns the batch loss. */
  protected trainStep(state: RunState, batch: readonly number[], learningRate: number): number {
    const { denoiser, instances, priors, job } = this.prepared;
    const examples = withPriors(instances, batch, priors, state.step, job.params.batchSize);
    const draws = drawNoise(state.random, examples.length, denoiser.schedule);
    const gradient = new Float64Array(state.weight.length);
    const loss = meanLoss(examples, draws, job.params.minSnrGamma, (example, draw, options) => denoiser.lossAndGradient(state.weight, example, draw, options, gradient));
    state.adam.update(new Map([[PARAMETER, state.weight]]), new Map<string, ArrayLike<number>>([[PARAMETER, gradient]]), learningRate);
    return loss;
  }

  protected preview(state: RunState, sample: Prompted): TrainingImage {
    const { weight } = state;
    const { denoiser, scalingFactor } = this.prepared;
    return decodeDemoLatent(denoiser.cleanLatent(weight, sample.pictureLatent, sample.embedding), denoiser.latent.width, denoiser.latent.height, scalingFactor);
  }

  private metadata(state: RunState, startedAt: Date, finishedAt?: Date): Record<string, string> {
    const { job } = this.prepared;
    return dreamboothMetadata({ jobId: job.id, params: job.params, instanceImages: job.dataset.length, classImages: this.prepared.priors.length, optimizer: OPTIMIZER, stepsDone: state.step, startedAt, finishedAt });
  }

  protected checkpoint(state: RunState, startedAt: Date): TrainingCheckpoint {
    return {
      step: state.step,
      loraState: this.weights(state.weight, this.metadata(state, startedAt)),
      optimizerState: loopOptimizerState(state, this.prepared.fingerprint),
    };
  }
}
