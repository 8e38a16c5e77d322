/**
 * Adam's update of every variable as one native call on the wasm backend: each variable and its
 * two moments are rewritten in place in the wasm heap, instead of about fifteen tf kernels (each
 * with its own output allocation) per variable and step, or one addon call per variable (64 for
 * the small hybrid, each crossing N-API). The arithmetic is the tf-ops path's, op for op in float32
 * (native/src/addon.c, adam_step), so both give the same bits.
 */
import * as tf from '@tensorflow/tfjs';
import { layerKernels } from './path.ts';
import { heapOffset, wasmHeap } from './layer-ops.ts';

export interface AdamHyper { beta1: number; beta2: number; epsilon: number; c1: number; c2: number; lr: number; decay: number }

/** Numbers a variable takes in the call's slots: the byte offsets of w, m, v and g, and the size. */
const SLOT = 5;

/**
 * Updates in place every variable (with its moments m, v and gradient g at the same index) that
 * the native call can take, and returns the indices of those it left to the caller: all of them
 * unless the native layer kernels are in use on wasm, else those whose w, m or v shares its data
 * with another tensor (that tensor would see the write) or whose gradient does not fit.
 */
export function adamUpdateInPlace(w: tf.Variable[], m: tf.Variable[], v: tf.Variable[], g: tf.Tensor[], h: AdamHyper): number[] {
  const kernels = layerKernels();
  const heap = wasmHeap();
  if (!kernels || !heap) return w.map((_, i) => i);
  const slots = new Uint32Array(w.length * SLOT);
  const left: number[] = [];
  let taken = 0;
  w.forEach((wi, i) => {
    const offsets = [heapOffset(wi, true), heapOffset(m[i], true), heapOffset(v[i], true), heapOffset(g[i], false)];
    if (offsets.some((o) => o === null) || g[i].size !== wi.size) {
      left.push(i);
      return;
    }
    slots.set([...(offsets as number[]), wi.size], taken * SLOT);
    taken++;
  });
  const f = Math.fround;
  kernels.adamUpdateHeap({
    heap, slots: slots.subarray(0, taken * SLOT),
    beta1: f(h.beta1), oneMinusBeta1: f(1 - h.beta1), beta2: f(h.beta2), oneMinusBeta2: f(1 - h.beta2),
    c1: f(h.c1), c2: f(h.c2), epsilon: f(h.epsilon), lr: f(h.lr), decay: f(h.decay),
  });
  return left;
}
