/**
 * Adam's update of one variable as one native call on the wasm backend: the variable and its two
 * moments are rewritten in place in the wasm heap, instead of about fifteen tf kernels (each with
 * its own output allocation) per variable and step. The arithmetic is the tf-ops path's, op for op
 * in float32 (native/src/addon.c, adam_step), so both give the same bits.
 */
import * as tf from '@tensorflow/tfjs';
import { layerKernels } from './path.ts';
import { exclusiveHeapView, heapView } from './layer-ops.ts';

export interface AdamHyper { beta1: number; beta2: number; epsilon: number; c1: number; c2: number; lr: number; decay: number }

/**
 * Updates w, m and v in place and returns true; false (nothing done) unless the native layer
 * kernels are in use on wasm and each of w, m, v holds its data alone (no other tensor shares it,
 * so no one else sees the write).
 */
export function adamUpdateInPlace(w: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, h: AdamHyper): boolean {
  const kernels = layerKernels();
  if (!kernels || tf.getBackend() !== 'wasm') return false;
  const wv = exclusiveHeapView(w);
  const mv = exclusiveHeapView(m);
  const vv = exclusiveHeapView(v);
  const gv = heapView(g);
  if (!wv || !mv || !vv || !gv || gv.length !== wv.length) return false;
  const f = Math.fround;
  kernels.adamUpdate({
    w: wv, m: mv, v: vv, g: gv,
    beta1: f(h.beta1), oneMinusBeta1: f(1 - h.beta1), beta2: f(h.beta2), oneMinusBeta2: f(1 - h.beta2),
    c1: f(h.c1), c2: f(h.c2), epsilon: f(h.epsilon), lr: f(h.lr), decay: f(h.decay),
  });
  return true;
}
