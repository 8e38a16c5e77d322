import * as tf from '@tensorflow/tfjs';
import { channel, maskedMean, weighted } from './masked-mean.ts';
import { statelessLoss, type LossDefinition } from './types.ts';

/** MAE on inspiratory rows only: the competition metric itself, used as the loss. */
export const maskedMae: LossDefinition = {
  name: 'masked-mae',
  description: 'MAE over inspiratory rows (u_out == 0) of channel 0',
  outputKinds: ['pressure', 'multi-target'],
  inspiratoryOnly: true,
  create: () =>
    statelessLoss('masked-mae', (targets, yPred) =>
      tf.tidy(() => maskedMean(tf.abs(tf.sub(channel(yPred, 0), targets.pressure)), weighted(targets.inspiratory, targets))),
    ),
};
