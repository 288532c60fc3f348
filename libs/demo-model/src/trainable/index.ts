export { buildTrainableDemoModel, type TrainableDemoModelInfo, type TrainableDemoModelOptions } from './build-trainable-demo-model.js';
export { NotTrainableModelError, readTrainableContract } from './read-trainable-contract.js';
export { resizeResidual, resizeResidualAdjoint, type GridSize } from './residual-grid.js';
export { promptEmbeddingOfIds, tokenEmbedding, tokenEmbeddingTable } from './token-embedding-table.js';
export { promptEmbeddingOf, residualOf, trainableCleanLatent, type CleanLatentContract } from './trainable-clean-latent.js';
export {
  DEFAULT_PROMPT_EMBEDDING_SIZE,
  DEFAULT_RESIDUAL_SIDE,
  PROMPT_EMBEDDING_OFFSET,
  TRAINABLE_LAYER,
  TRAINABLE_MANIFEST_FILE,
  residualWeightShape,
  type TrainableDemoContract,
} from './trainable-contract.js';
export { TRAINABLE_TOKEN_TABLE, specialTokenIds, trainableTokenRowLayout, trainableTokenTable } from './trainable-text-encoder-graph.js';
export { PRETRAINED_PATTERNS, PRETRAINED_PATTERN_SCALE, pretrainedResidualWeight } from './pretrained-residual.js';
