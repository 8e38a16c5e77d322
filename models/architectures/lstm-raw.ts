/**
 * 1st place "LSTM on raw data": the 9 raw inputs (time_step, u_in, u_out, one-hot R and C),
 * 4 x BiLSTM 512, Dense 512 swish (silu), an inspiratory and an expiratory head.
 */
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/breath-table.ts';
import { deriveSeed } from '../../core/seed.ts';
import { dense } from '../layers/dense.ts';
import type { ModelDefinition } from '../model-definition.ts';
import { bilstmStack } from './bilstm-stack.ts';
import { checkPositiveInt } from './check-config.ts';
import { outputHead } from './output-head.ts';

export interface LstmRawConfig {
  /** Units per direction of every BiLSTM layer. Default 512. */
  units: number;
  /** Number of BiLSTM layers. Default 4. */
  layers: number;
  /** Width of the swish Dense before the heads. Default 512. */
  denseUnits: number;
}

export const lstmRaw: ModelDefinition<LstmRawConfig> = {
  name: 'lstm-raw',
  description: '1st place raw LSTM: BiLSTM x layers -> Dense(swish) -> inspiration and expiration heads',
  defaults: { units: 512, layers: 4, denseUnits: 512 },
  small: { units: 16, layers: 2, denseUnits: 16 },
  featureSet: 'raw',
  outputKind: () => 'two-head',
  check(config) {
    for (const field of ['units', 'layers', 'denseUnits'] as const) checkPositiveInt('lstm-raw', field, config[field]);
  },
  build(config, inputFeatures, seed) {
    lstmRaw.check(config);
    const input = tf.input({ shape: [ROWS_PER_BREATH, inputFeatures], name: 'features' });
    let x = bilstmStack(input, new Array<number>(config.layers).fill(config.units), seed);
    x = dense({ units: config.denseUnits, activation: 'swish', seed: deriveSeed(seed, 'dense'), name: 'dense' })
      .apply(x) as tf.SymbolicTensor;
    const output = outputHead(x, 'two-head', deriveSeed(seed, 'output'));
    return tf.model({ inputs: input, outputs: output, name: 'lstm-raw' });
  },
};
