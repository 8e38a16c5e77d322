import * as tf from '@tensorflow/tfjs';
import { channel, maskedMean, weighted } from './masked-mean.ts';
import { statelessLoss, type LossDefinition } from './types.ts';

export const DIFF_LAGS = [1, 2, 3, 4] as const;

/** x[:, lag:] - x[:, :-lag] as [batch, 80 - lag]. */
function lagDiff(x: tf.Tensor2D, lag: number): tf.Tensor2D {
  const [b, t] = x.shape;
  return tf.sub(tf.slice(x, [0, lag], [b, t - lag]), tf.slice(x, [0, 0], [b, t - lag]));
}

/**
 * The 3rd place's loss: masked MAE plus the MAE of pressure differences at lags 1..4, so the model
 * also gets the shape of the curve right. A difference counts when both its rows are inspiratory
 * (with the lesser of their row weights);
 * the four difference terms are averaged, so together they weigh as much as the MAE term.
 */
export const maeWithDiffs: LossDefinition = {
  name: 'mae-with-diffs',
  description: 'masked MAE + mean over lags 1..4 of the masked MAE of pressure differences',
  outputKinds: ['pressure', 'multi-target'],
  inspiratoryOnly: true,
  create: () =>
    statelessLoss('mae-with-diffs', (targets, yPred) =>
      tf.tidy(() => {
        const pred = channel(yPred, 0);
        const m = weighted(targets.inspiratory, targets);
        let total: tf.Scalar = maskedMean(tf.abs(tf.sub(pred, targets.pressure)), m);
        for (const lag of DIFF_LAGS) {
          const both = tf.minimum(tf.slice(m, [0, lag], [-1, -1]), tf.slice(m, [0, 0], [-1, m.shape[1] - lag]));
          const err = tf.abs(tf.sub(lagDiff(pred, lag), lagDiff(targets.pressure, lag)));
          total = tf.add(total, tf.div(maskedMean(err, both), DIFF_LAGS.length));
        }
        return total;
      }),
    ),
};
