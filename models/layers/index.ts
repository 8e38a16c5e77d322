export { recurrent, FusedRecurrent, type FusedRecurrentArgs as RecurrentArgs } from '../recurrence/index.ts';
export { ACTIVATION_NAMES, activate, type ActivationName } from './activation.ts';
export { shiftedWindows, sameOffsets } from './shifted-windows.ts';
export { Conv1DIm2col, conv1dIm2col, type Conv1DIm2colArgs } from './conv1d-im2col.ts';
export { Conv1DTranspose, conv1dTranspose, type Conv1DTransposeArgs } from './conv1d-transpose.ts';
export { LayerNorm, layerNorm, normalizeLastAxis, type LayerNormArgs } from './layer-norm.ts';
export {
  MultiHeadAttention,
  multiHeadAttention,
  selfAttention,
  type AttentionWeights,
  type MultiHeadAttentionArgs,
} from './multi-head-attention.ts';
export {
  TransformerEncoderLayer,
  transformerEncoderLayer,
  type TransformerEncoderLayerArgs,
} from './transformer-encoder-layer.ts';
export { ConvTransformerBlock, convTransformerBlock, type ConvTransformerBlockArgs } from './conv-transformer-block.ts';
export { Dense, dense, type DenseArgs } from './dense.ts';
export { matMul } from './mat-mul.ts';
export { layerRegistry, type LayerExample, type RegisteredLayer } from './registry.ts';
