/** The last layer of every architecture: a per-step Dense whose width follows the output kind. */
import * as tf from '@tensorflow/tfjs';
import { PRESSURE_LEVELS } from '../../core/pressure-grid.ts';
import { dense } from '../layers/dense.ts';
import type { OutputKind } from '../model-definition.ts';

/** Channels of the model output per time step for each output kind (see OutputKind). */
export function outputChannels(kind: OutputKind): number {
  switch (kind) {
    case 'pressure':
      return 1;
    case 'two-head':
      return 2;
    case 'multi-target':
      return 3;
    case 'levels':
      return PRESSURE_LEVELS;
  }
}

/**
 * Dense(outputChannels(kind)), linear. Two heads as one Dense(2) is the same function as two
 * Dense(1) heads concatenated, in one matMul.
 */
export function outputHead(x: tf.SymbolicTensor, kind: OutputKind, seed: number): tf.SymbolicTensor {
  return dense({ units: outputChannels(kind), seed, name: 'output' }).apply(x) as tf.SymbolicTensor;
}
