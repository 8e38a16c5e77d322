/**
 * 3rd place: parallel 'same' Conv1D branches of kernels 2, 3 and 4 (relu), concatenated, then a
 * BiLSTM stack and an inspiratory and an expiratory head. The write-up gives no widths: the
 * defaults reuse the common BiLSTM stack.
 */
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/breath-table.ts';
import { deriveSeed } from '../../core/seed.ts';
import { conv1dIm2col } from '../layers/conv1d-im2col.ts';
import type { ModelDefinition } from '../model-definition.ts';
import { bilstmStack } from './bilstm-stack.ts';
import { checkPositiveInt, checkPositiveIntList } from './check-config.ts';
import { outputHead } from './output-head.ts';

export interface ConvBilstmConfig {
  /** Filters of each Conv1D branch. Default 64. */
  convFilters: number;
  /** Kernel size of each branch, one branch per entry. Default [2, 3, 4]. */
  kernelSizes: number[];
  /** Units per direction of each BiLSTM layer, input side first. Default [1024, 512, 256, 128]. */
  units: number[];
}

export const convBilstm: ModelDefinition<ConvBilstmConfig> = {
  name: 'conv-bilstm',
  description: '3rd place: Conv1D branches (kernels 2, 3, 4) -> BiLSTM stack -> two heads',
  defaults: { convFilters: 64, kernelSizes: [2, 3, 4], units: [1024, 512, 256, 128] },
  small: { convFilters: 8, kernelSizes: [2, 3, 4], units: [16, 8] },
  featureSet: 'public',
  outputKind: () => 'two-head',
  check(config) {
    checkPositiveInt('conv-bilstm', 'convFilters', config.convFilters);
    checkPositiveIntList('conv-bilstm', 'kernelSizes', config.kernelSizes);
    checkPositiveIntList('conv-bilstm', 'units', config.units);
  },
  build(config, inputFeatures, seed) {
    convBilstm.check(config);
    const input = tf.input({ shape: [ROWS_PER_BREATH, inputFeatures], name: 'features' });
    const branches = config.kernelSizes.map(
      (kernelSize, i) =>
        conv1dIm2col({
          filters: config.convFilters, kernelSize, activation: 'relu',
          seed: deriveSeed(seed, 'conv', i), name: `conv_k${kernelSize}_${i}`,
        }).apply(input) as tf.SymbolicTensor,
    );
    const x = branches.length === 1
      ? branches[0]
      : (tf.layers.concatenate({ axis: -1, name: 'conv_concat' }).apply(branches) as tf.SymbolicTensor);
    const output = outputHead(bilstmStack(x, config.units, seed), 'two-head', deriveSeed(seed, 'output'));
    return tf.model({ inputs: input, outputs: output, name: 'conv-bilstm' });
  },
};
