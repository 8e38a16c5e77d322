import * as tf from '@tensorflow/tfjs';

const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * Splits time-major rows [steps * batch, width] into `steps` tensors [batch, width].
 *
 * On the host-memory backends the rows are read once and each step is uploaded from a subarray:
 * the wasm backend's Slice (and Split/Unpack/Gather built on it or on per-element loops) copies
 * its whole input on every call, O(steps^2) over a sequence, and measured 4-10x slower than this.
 * Elsewhere (webgpu, tensorflow) a contiguous slice costs only its output.
 * The caller keeps ownership of `rows`; the returned tensors are new.
 */
export function splitSteps(rows: tf.Tensor2D, steps: number): tf.Tensor2D[] {
  const [n, width] = rows.shape;
  const batch = n / steps;
  if (!Number.isInteger(batch)) throw new Error(`splitSteps: ${n} rows do not split into ${steps} steps`);
  if (HOST_MEMORY_BACKENDS.has(tf.getBackend())) {
    const data = rows.dataSync() as Float32Array;
    const size = batch * width;
    return Array.from({ length: steps }, (_, t) => tf.tensor2d(data.subarray(t * size, (t + 1) * size), [batch, width]));
  }
  return Array.from({ length: steps }, (_, t) => tf.slice(rows, [t * batch, 0], [batch, width]));
}

/** Column sums of [rows, width] as [width]: a matMul with ones, because a wasm Sum over axis 0 transposes first. */
export function sumRows(m: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, m.shape[0]]), m), [m.shape[1]]) as tf.Tensor1D);
}

/** [batch, time, width] -> time-major rows [time * batch, width]. */
export function toTimeMajorRows(x: tf.Tensor3D): tf.Tensor2D {
  const [batch, time, width] = x.shape;
  return tf.tidy(() => tf.reshape(tf.transpose(x, [1, 0, 2]), [time * batch, width]));
}

/** Time-major rows [time * batch, width] -> [batch, time, width]. */
export function fromTimeMajorRows(rows: tf.Tensor2D, time: number): tf.Tensor3D {
  const [n, width] = rows.shape;
  return tf.tidy(() => tf.transpose(tf.reshape(rows, [time, n / time, width]), [1, 0, 2]));
}

/**
 * tanh, as 2 * sigmoid(2x) - 1 on wasm, whose Tanh kernel measured ~6x slower than its Sigmoid
 * (three cheap kernels beat one slow one); tf.tanh elsewhere.
 */
export function tanh<T extends tf.Tensor>(x: T): T {
  if (tf.getBackend() !== 'wasm') return tf.tanh(x);
  return tf.tidy(() => tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1)) as T;
}
