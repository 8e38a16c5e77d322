import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { channel, maskedMean, weighted } from './masked-mean.ts';
import { statelessLoss, type LossDefinition } from './types.ts';

/** [batch, 80] x[t] - x[t-1], 0 on row 0. */
function firstDiff(x: tf.Tensor2D): tf.Tensor2D {
  const [b, t] = x.shape;
  return tf.concat([tf.zeros([b, 1]), tf.sub(tf.slice(x, [0, 1], [b, t - 1]), tf.slice(x, [0, 0], [b, t - 1]))], 1) as tf.Tensor2D;
}

/**
 * The public transformer's targets: pressure, its first difference (0 on row 0) and its cumulative
 * sum, each a masked MAE on inspiratory rows. Only inspiratory pressures enter the targets (a
 * difference needs both its rows inspiratory; the sum runs over inspiratory rows), which on real
 * breaths, where inspiration is a prefix, is the plain diff and cumsum. The cumulative sum grows
 * with the row index, so its term is divided by 80 to keep it on the scale of the other two.
 */
export const multiTargetMae: LossDefinition = {
  name: 'multi-target-mae',
  description: 'masked MAE of pressure + of its diff + of its cumsum / 80 (channels 0, 1, 2)',
  outputKinds: ['multi-target'],
  inspiratoryOnly: true,
  create: () =>
    statelessLoss('multi-target-mae', (targets, yPred) =>
      tf.tidy(() => {
        const m = targets.inspiratory;
        const [b, t] = m.shape;
        const p = tf.mul(targets.pressure, m);
        // Row weights (pseudo-labels); a difference weighs the lesser of its two rows'.
        const w = weighted(m, targets);
        const diffWeight = tf.concat([tf.slice(w, [0, 0], [b, 1]), tf.minimum(tf.slice(w, [0, 1], [b, t - 1]), tf.slice(w, [0, 0], [b, t - 1]))], 1);
        const terms = [
          maskedMean(tf.abs(tf.sub(channel(yPred, 0), targets.pressure)), w),
          maskedMean(tf.abs(tf.sub(channel(yPred, 1), firstDiff(p as tf.Tensor2D))), diffWeight),
          tf.div(maskedMean(tf.abs(tf.sub(channel(yPred, 2), tf.cumsum(p, 1))), w), ROWS_PER_BREATH),
        ];
        return tf.addN(terms) as tf.Scalar;
      }),
    ),
};
