import * as tf from '@tensorflow/tfjs';
import { channel, maskedMean } from './masked-mean.ts';
import { statelessLoss, type LossDefinition } from './types.ts';

/**
 * MAE over every row, inspiratory and expiratory alike: Keras' loss="mae" as the public BiLSTM
 * notebooks compiled it (docs/fidelity.md). The metric scores inspiratory rows only.
 */
export const mae: LossDefinition = {
  name: 'mae',
  description: 'MAE over all 80 rows of channel 0 (the public Keras notebooks\' loss)',
  outputKinds: ['pressure', 'multi-target'],
  inspiratoryOnly: false,
  create: () =>
    statelessLoss('mae', (targets, yPred) =>
      tf.tidy(() => {
        const err = tf.abs(tf.sub(channel(yPred, 0), targets.pressure));
        return targets.weight ? maskedMean(err, targets.weight) : (tf.mean(err) as tf.Scalar);
      }),
    ),
};
