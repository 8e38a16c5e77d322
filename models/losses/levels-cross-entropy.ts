import * as tf from '@tensorflow/tfjs';
import { PRESSURE_LEVELS, PRESSURE_MIN, PRESSURE_STEP } from '../../core/index.ts';
import { maskedMean, weighted } from './masked-mean.ts';
import { statelessLoss, type LossDefinition } from './types.ts';

/** Grid level of each target pressure, as pressureLevel() computes it (round half up, clipped). */
export function targetLevels(pressure: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const k = tf.floor(tf.add(tf.div(tf.sub(pressure, PRESSURE_MIN), PRESSURE_STEP), 0.5));
    return tf.cast(tf.clipByValue(k, 0, PRESSURE_LEVELS - 1), 'int32') as tf.Tensor2D;
  });
}

/** Cross-entropy over the 950 pressure levels (logits in yPred), on inspiratory rows. */
export const levelsCrossEntropy: LossDefinition = {
  name: 'levels-cross-entropy',
  description: 'softmax cross-entropy over the 950 grid levels on inspiratory rows',
  outputKinds: ['levels'],
  inspiratoryOnly: true,
  create: () =>
    statelessLoss('levels-cross-entropy', (targets, yPred) =>
      tf.tidy(() => {
        const logp = tf.logSoftmax(yPred);
        const hot = tf.oneHot(targetLevels(targets.pressure), PRESSURE_LEVELS);
        const nll = tf.neg(tf.sum(tf.mul(hot, logp), -1));
        return maskedMean(nll, weighted(targets.inspiratory, targets));
      }),
    ),
};
