/**
 * 1st place "LSTM + CNN-Transformer" (github.com/Shujun-He/Google-Brain-Ventilator, Network.py;
 * docs/fidelity.md):
 *   Dense(F -> width)
 *   -> lstmBlocks x [BiLSTM(lstmUnits, concat) -> Dense(lstmFfnUnits, relu) -> Dense(width), + input]
 *   -> LayerNorm
 *   -> per kernel k of convKernels, one ConvTransformerBlock: [Conv1D(width, k, 'valid': 80 -> 81 - k)
 *      relu -> LayerNorm -> TransformerEncoderLayer on the 81 - k steps -> Conv1DTranspose(width, k,
 *      'valid': back to 80) relu -> LayerNorm, + input]
 *   -> Dense(1).
 */
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/breath-table.ts';
import { deriveSeed } from '../../core/seed.ts';
import { convTransformerBlock } from '../layers/conv-transformer-block.ts';
import { dense } from '../layers/dense.ts';
import { layerNorm } from '../layers/layer-norm.ts';
import { recurrent } from '../recurrence/index.ts';
import type { ModelDefinition } from '../model-definition.ts';
import { checkPositiveInt, checkPositiveIntList } from './check-config.ts';
import { outputHead } from './output-head.ts';

export interface LstmCnnTransformerConfig {
  /** Model width: the input projection, the residual stream and the transformer. Default 256. */
  width: number;
  /** Number of residual BiLSTM blocks. Default 3. */
  lstmBlocks: number;
  /** Units per direction of each block's BiLSTM. Default 256. */
  lstmUnits: number;
  /** Hidden width of each BiLSTM block's relu Dense. Default 1024. */
  lstmFfnUnits: number;
  /** Kernel size of each conv-transformer block, one block per entry, at most 80. Default [5, 3, 1]. */
  convKernels: number[];
  /** Attention heads; width must be a multiple (key width = width / heads). Default 16. */
  heads: number;
  /** Feed-forward width inside each transformer layer. Default 1024. */
  ffnUnits: number;
}

export const lstmCnnTransformer: ModelDefinition<LstmCnnTransformerConfig> = {
  name: 'lstm-cnn-transformer',
  description: '1st place hybrid: residual BiLSTM blocks, then Conv1D -> Transformer -> Conv1DTranspose blocks',
  defaults: { width: 256, lstmBlocks: 3, lstmUnits: 256, lstmFfnUnits: 1024, convKernels: [5, 3, 1], heads: 16, ffnUnits: 1024 },
  small: { width: 16, lstmBlocks: 1, lstmUnits: 8, lstmFfnUnits: 32, convKernels: [3, 1], heads: 2, ffnUnits: 32 },
  featureSet: 'public',
  outputKind: () => 'pressure',
  check(config) {
    for (const field of ['width', 'lstmBlocks', 'lstmUnits', 'lstmFfnUnits', 'heads', 'ffnUnits'] as const) {
      checkPositiveInt('lstm-cnn-transformer', field, config[field]);
    }
    checkPositiveIntList('lstm-cnn-transformer', 'convKernels', config.convKernels, 0);
    const tooLong = config.convKernels.find((k) => k > ROWS_PER_BREATH);
    if (tooLong !== undefined) {
      throw new Error(`lstm-cnn-transformer: config.convKernels has ${tooLong}, longer than a breath (${ROWS_PER_BREATH} steps)`);
    }
    if (config.width % config.heads !== 0) {
      throw new Error(`lstm-cnn-transformer: width ${config.width} is not a multiple of heads ${config.heads}`);
    }
  },
  build(config, inputFeatures, seed) {
    lstmCnnTransformer.check(config);
    const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
      layer.apply(x) as tf.SymbolicTensor;
    const input = tf.input({ shape: [ROWS_PER_BREATH, inputFeatures], name: 'features' });
    let x = apply(dense({ units: config.width, seed: deriveSeed(seed, 'input'), name: 'input_projection' }), input);
    for (let i = 0; i < config.lstmBlocks; i++) {
      const s = (label: string) => deriveSeed(seed, 'lstm_block', i, label);
      let y = apply(
        recurrent({
          cell: 'lstm', units: config.lstmUnits, returnSequences: true, direction: 'bidirectional', merge: 'concat',
          seed: s('bilstm'), name: `lstm_block_${i}_bilstm`,
        }),
        x,
      );
      y = apply(dense({ units: config.lstmFfnUnits, activation: 'relu', seed: s('ffn'), name: `lstm_block_${i}_ffn` }), y);
      y = apply(dense({ units: config.width, seed: s('out'), name: `lstm_block_${i}_out` }), y);
      x = apply(tf.layers.add({ name: `lstm_block_${i}_residual` }), [x, y]);
    }
    x = apply(layerNorm({ name: 'lstm_norm' }), x);
    config.convKernels.forEach((kernelSize, i) => {
      const s = (label: string) => deriveSeed(seed, 'conv_block', i, label);
      // 'valid' conv and transposed conv, both relu, as in the public code (padding=0).
      const block = convTransformerBlock({
        kernelSize, heads: config.heads, keyDim: config.width / config.heads, ffnUnits: config.ffnUnits,
        seeds: { conv: s('conv'), encoder: s('transformer'), deconv: s('deconv') }, name: `conv_block_${i}`,
      });
      x = apply(block, x);
    });
    const output = outputHead(x, 'pressure', deriveSeed(seed, 'output'));
    return tf.model({ inputs: input, outputs: output, name: 'lstm-cnn-transformer' });
  },
};
