/**
 * The public transformer: input projection, `blocks` encoder layers (8 heads of width 64, gelu
 * feed-forward, skip paths mixed 0.7 / 0.3), Dense(3) for pressure, its diff and its cumsum.
 * No positional encoding: time_step and the lag features carry position. The notebook's model
 * width is not recorded; 128 is a guess.
 */
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/breath-table.ts';
import { deriveSeed } from '../../core/seed.ts';
import { dense } from '../layers/dense.ts';
import { transformerEncoderLayer } from '../layers/transformer-encoder-layer.ts';
import type { ModelDefinition } from '../model-definition.ts';
import { checkPositiveInt } from './check-config.ts';
import { outputHead } from './output-head.ts';

export interface TransformerConfig {
  /** Width of the input projection and of the residual stream. Default 128. */
  width: number;
  /** Number of encoder layers. Default 12. */
  blocks: number;
  /** Attention heads per layer. Default 8. */
  heads: number;
  /** Width of each head's queries, keys and values. Default 64. */
  keyDim: number;
  /** Hidden width of each feed-forward sublayer (gelu). Default 128. */
  ffnUnits: number;
  /** Weight of the skip path in each residual mix, in (0, 1), or null for a plain sum. Default 0.7. */
  residualWeight: number | null;
}

export const transformer: ModelDefinition<TransformerConfig> = {
  name: 'transformer',
  description: 'Public transformer: encoder layers with 0.7/0.3 residual mixing; pressure, diff and cumsum targets',
  defaults: { width: 128, blocks: 12, heads: 8, keyDim: 64, ffnUnits: 128, residualWeight: 0.7 },
  small: { width: 16, blocks: 2, heads: 2, keyDim: 8, ffnUnits: 16, residualWeight: 0.7 },
  featureSet: 'public',
  outputKind: () => 'multi-target',
  check(config) {
    for (const field of ['width', 'blocks', 'heads', 'keyDim', 'ffnUnits'] as const) checkPositiveInt('transformer', field, config[field]);
    const w = config.residualWeight;
    if (w !== null && !(typeof w === 'number' && w > 0 && w < 1)) {
      throw new Error(`transformer: config.residualWeight must be null or a number in (0, 1), got ${JSON.stringify(w)}`);
    }
  },
  build(config, inputFeatures, seed) {
    transformer.check(config);
    const input = tf.input({ shape: [ROWS_PER_BREATH, inputFeatures], name: 'features' });
    let x = dense({ units: config.width, seed: deriveSeed(seed, 'input'), name: 'input_projection' })
      .apply(input) as tf.SymbolicTensor;
    for (let i = 0; i < config.blocks; i++) {
      x = transformerEncoderLayer({
        heads: config.heads, keyDim: config.keyDim, ffnUnits: config.ffnUnits, activation: 'gelu',
        residualWeight: config.residualWeight, seed: deriveSeed(seed, 'encoder', i), name: `encoder_${i}`,
      }).apply(x) as tf.SymbolicTensor;
    }
    const output = outputHead(x, 'multi-target', deriveSeed(seed, 'output'));
    return tf.model({ inputs: input, outputs: output, name: 'transformer' });
  },
};
