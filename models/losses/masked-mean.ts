import * as tf from '@tensorflow/tfjs';

/** Mean of `values` over the rows where `weights` is 1; 0 when no row is selected (not NaN). */
export function maskedMean(values: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(values, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar);
}

/** Channel `c` of a [batch, 80, channels] prediction as [batch, 80]. */
export function channel(yPred: tf.Tensor3D, c: number): tf.Tensor2D {
  const [b, t] = yPred.shape;
  return tf.reshape(tf.slice(yPred, [0, 0, c], [b, t, 1]), [b, t]);
}
