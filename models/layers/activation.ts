/**
 * Element-wise activations the custom layers accept by name, written from ops that every backend
 * (cpu, wasm, webgpu) can differentiate.
 */
import * as tf from '@tensorflow/tfjs';

export const ACTIVATION_NAMES = ['linear', 'relu', 'gelu', 'selu', 'swish'] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

export function activate(x: tf.Tensor, name: ActivationName): tf.Tensor {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'gelu':
      // Exact (erf) form, as PyTorch's default and tfjs-layers' 'gelu'.
      return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
    case 'selu':
      return tf.selu(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
  }
}
