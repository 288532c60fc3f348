import type * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../../models/loaded-model.js';
import type { ConditioningSource } from './conditioning-source.js';
import type { AcquireSession } from './types.js';

/** The UNet export a generation runs: a model component, and whether it takes ControlNet residuals. */
export interface UnetChoice {
  readonly file: string | undefined;
  readonly residuals: boolean;
}

/** What a provider sees when it opens its source for one generation. */
export interface ConditioningSetup {
  readonly model: LoadedModel;
  /** The UNet the loop runs (after every provider's `chooseUnet`). */
  readonly unet: ort.InferenceSession;
  readonly width: number;
  readonly height: number;
  /** Images in the batch. */
  readonly batch: number;
  readonly useGuidance: boolean;
  readonly acquire: AcquireSession;
}

/**
 * A request's extra conditioning (image prompts...) as the caller hands it to the pipeline: it may
 * need another UNet export of the model (one whose cross-attention takes image tokens), and opens
 * the conditioning source the loop runs. It acts on the base model only, as ControlNets do.
 */
export interface ConditioningProvider {
  /** Which UNet the loop must run, given the one chosen so far; absent or returning `current`: no change. */
  chooseUnet?(model: LoadedModel, current: UnetChoice): UnetChoice;
  /** The source for this generation; undefined when it has nothing to add (an IP-Adapter at scale 0). */
  open(setup: ConditioningSetup): Promise<ConditioningSource | undefined>;
}
