import * as tf from '@tensorflow/tfjs';
import type { LossTargets } from './types.ts';

/** Mean of `values` weighted by `weights` (a 0/1 mask, or row weights); 0 when no row is selected (not NaN). */
export function maskedMean(values: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(values, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar);
}

/** Channel `c` of a [batch, 80, channels] prediction as [batch, 80]. */
export function channel(yPred: tf.Tensor3D, c: number): tf.Tensor2D {
  const [b, t] = yPred.shape;
  return tf.reshape(tf.slice(yPred, [0, 0, c], [b, t, 1]), [b, t]);
}

/** A term's row mask times the batch's per-row weights when it carries some (the mask itself otherwise). */
export function weighted<T extends tf.Tensor>(mask: T, targets: LossTargets): T {
  return targets.weight ? tf.mul(mask, targets.weight) : mask;
}
