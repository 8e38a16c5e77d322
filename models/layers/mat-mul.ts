/**
 * matMul whose gradient avoids transpose flags on the wasm backend. tfjs differentiates
 * C = A B with matMul(dC, B, false, true) and matMul(A, dC, true, false); wasm runs those flagged
 * products 7-20x slower than an explicit transpose followed by a plain product (measured on
 * [5120, 192] x [192, 64]: 234 against 11 ms and 221 against 34 ms). Other backends keep tf.matMul.
 */
import * as tf from '@tensorflow/tfjs';

/** Swaps the last two axes (rank 2 or 3). */
function transposeLast(t: tf.Tensor): tf.Tensor {
  return t.rank === 2 ? tf.transpose(t) : tf.transpose(t, [0, 2, 1]);
}

const explicitTransposeMatMul = tf.customGrad((...args: unknown[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, (tensors: tf.Tensor[]) => void];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy, transposeLast(sb)), tf.matMul(transposeLast(sa), dy)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** A B for two rank-2 or two rank-3 (batched) tensors of equal rank. */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== b.rank || a.rank < 2 || a.rank > 3) {
    throw new Error(`matMul: expected two rank-2 or two rank-3 tensors, got ranks ${a.rank} and ${b.rank}`);
  }
  return tf.getBackend() === 'wasm' ? explicitTransposeMatMul(a, b) : tf.matMul(a, b);
}
