import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { channel, maskedMean, weighted } from './masked-mean.ts';
import type { LossDefinition } from './types.ts';

// Variable names must be unique in the engine while several losses are alive.
let nextId = 0;

/**
 * Laplace negative log-likelihood on inspiratory rows, |y - mu| / b_t + log b_t (constant dropped),
 * with the scale held by the loss, not the model: one learned log-scale per time-step index
 * (a [80] variable, initialised to 0, trained with the model and kept in the resume state).
 * The model keeps a plain 'pressure' output; the scale lets rows that are hard at every breath
 * (the pressure rise at the start of inspiration) weigh less than the rows a model can nail.
 */
export const laplaceNll: LossDefinition = {
  name: 'laplace-nll',
  description: 'Laplace NLL on inspiratory rows with a learned per-time-step log-scale held by the loss',
  outputKinds: ['pressure', 'multi-target'],
  inspiratoryOnly: true,
  create() {
    const logScale = tf.variable(tf.zeros([ROWS_PER_BREATH]), true, `laplace_log_scale_${nextId++}`);
    return {
      name: 'laplace-nll',
      variables: [logScale],
      compute: (targets, yPred) =>
        tf.tidy(() => {
          const err = tf.abs(tf.sub(channel(yPred, 0), targets.pressure));
          const s = tf.reshape(logScale, [1, ROWS_PER_BREATH]);
          return maskedMean(tf.add(tf.mul(err, tf.exp(tf.neg(s))), s), weighted(targets.inspiratory, targets));
        }),
      dispose: () => logScale.dispose(),
    };
  },
};
