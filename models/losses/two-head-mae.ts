import * as tf from '@tensorflow/tfjs';
import { channel, maskedMean, weighted } from './masked-mean.ts';
import { statelessLoss, type LossDefinition } from './types.ts';

/**
 * The 1st-place raw LSTM's loss: 0.5 * MAE(inspiratory head on inspiratory rows)
 * + 0.5 * MAE(expiratory head on expiratory rows). Each head only answers for its own phase.
 */
export const twoHeadMae: LossDefinition = {
  name: 'two-head-mae',
  description: '0.5 * MAE(channel 0 on inspiratory rows) + 0.5 * MAE(channel 1 on expiratory rows)',
  outputKinds: ['two-head'],
  inspiratoryOnly: false,
  create: () =>
    statelessLoss('two-head-mae', (targets, yPred) =>
      tf.tidy(() => {
        const insp = maskedMean(tf.abs(tf.sub(channel(yPred, 0), targets.pressure)), weighted(targets.inspiratory, targets));
        const exp = maskedMean(tf.abs(tf.sub(channel(yPred, 1), targets.pressure)), weighted(tf.sub(1, targets.inspiratory), targets));
        return tf.mul(0.5, tf.add(insp, exp)) as tf.Scalar;
      }),
    ),
};
