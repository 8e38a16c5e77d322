import * as tf from '@tensorflow/tfjs';
import { heapView } from '../native/index.ts';

/** Scales all gradients by min(1, maxNorm / globalNorm), the global norm taken over all of them together. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  const scale = wasmClipScale(grads, maxNorm);
  if (scale === null) {
    return tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
      const factor = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
      return grads.map((g) => tf.mul(g, factor));
    });
  }
  // Most steps are not clipped: then the gradients pass as they are (g * 1 is g), with no new tensors.
  return scale === 1 ? grads : grads.map((g) => tf.mul(g, scale));
}

/**
 * On wasm, the scale read straight from the gradients' heap memory in the float32 arithmetic of the
 * wasm kernels the tf-ops path above runs (Square, Sum and AddN add in order, then Sqrt, Add, Div,
 * Minimum), so both give the same bits; 3 kernels a variable cost more than the whole loop.
 * Null elsewhere.
 */
function wasmClipScale(grads: tf.Tensor[], maxNorm: number): number | null {
  const f = Math.fround;
  const views = grads.map((g) => heapView(g));
  if (views.some((v) => v === null)) return null;
  let total = 0;
  for (const view of views as Float32Array[]) {
    let sum = 0;
    for (let i = 0; i < view.length; i++) sum = f(sum + f(view[i] * view[i]));
    total = f(total + sum);
  }
  const norm = f(Math.sqrt(total));
  return Math.min(1, f(f(maxNorm) / f(norm + f(1e-6))));
}
