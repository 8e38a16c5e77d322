import * as tf from '@tensorflow/tfjs';

/** Scales all gradients by min(1, maxNorm / globalNorm), the global norm taken over all of them together. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    return grads.map((g) => tf.mul(g, scale));
  });
}
