/**
 * The most used model of the competition: a stack of bidirectional LSTMs, Dense(128, selu),
 * Dense(1) (docs/ventilator.md).
 */
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/breath-table.ts';
import { deriveSeed } from '../../core/seed.ts';
import { dense } from '../layers/dense.ts';
import type { ModelDefinition } from '../model-definition.ts';
import { bilstmStack } from './bilstm-stack.ts';
import { checkBoolean, checkPositiveInt, checkPositiveIntList } from './check-config.ts';
import { outputHead } from './output-head.ts';

export interface BilstmConfig {
  /** Units per direction of each BiLSTM layer, input side first. Default [1024, 512, 256, 128]. */
  units: number[];
  /** Width of the selu Dense after the stack. Default 128. */
  denseUnits: number;
  /** Classify over the 950 pressure levels (Dense(950) logits) instead of regressing. Default false. */
  levels: boolean;
}

export const bilstm: ModelDefinition<BilstmConfig> = {
  name: 'bilstm',
  description: 'BiLSTM stack -> Dense(selu) -> Dense(1), or Dense(950) level logits',
  defaults: { units: [1024, 512, 256, 128], denseUnits: 128, levels: false },
  small: { units: [16, 8], denseUnits: 8, levels: false },
  featureSet: 'public',
  outputKind: (config) => (config.levels ? 'levels' : 'pressure'),
  check(config) {
    checkPositiveIntList('bilstm', 'units', config.units);
    checkPositiveInt('bilstm', 'denseUnits', config.denseUnits);
    checkBoolean('bilstm', 'levels', config.levels);
  },
  build(config, inputFeatures, seed) {
    bilstm.check(config);
    const input = tf.input({ shape: [ROWS_PER_BREATH, inputFeatures], name: 'features' });
    let x = bilstmStack(input, config.units, seed);
    x = dense({ units: config.denseUnits, activation: 'selu', seed: deriveSeed(seed, 'dense'), name: 'dense' })
      .apply(x) as tf.SymbolicTensor;
    const output = outputHead(x, bilstm.outputKind(config), deriveSeed(seed, 'output'));
    return tf.model({ inputs: input, outputs: output, name: 'bilstm' });
  },
};
