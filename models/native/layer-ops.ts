/**
 * The layer kernels as tensors ops: one tf.customGrad each, one synchronous read of the inputs,
 * one kernel call forward and one backward; what the backward pass needs (forward output,
 * attention weights, normalisation statistics) lives in the gradient closure, not in tensors.
 * cpu and wasm backends only (dataSync).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerKernels } from './kernel-api.ts';

const f32 = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * Convolution along time of x [batch, time, channels] with kernel [taps, channels, filters], tap j
 * reading x[t + offsets[j]] (zeros outside), plus bias, then relu when asked.
 */
export function convAlongTime(
  k: LayerKernels, x: tf.Tensor3D, kernel: tf.Tensor3D, bias: tf.Tensor1D, offsets: readonly number[], relu: boolean,
): tf.Tensor3D {
  const [batch, time, channels] = x.shape;
  const [taps, kernelChannels, filters] = kernel.shape;
  if (kernelChannels !== channels || taps !== offsets.length) {
    throw new Error(`convAlongTime: kernel [${kernel.shape}] does not fit ${channels} channels and ${offsets.length} offsets`);
  }
  const offsetArray = Int32Array.from(offsets);
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xIn, kIn, bIn] = args as tf.Tensor[];
    const fwd = { batch, time, channels, filters, taps, offsets: offsetArray, relu, x: f32(xIn), kernel: f32(kIn) };
    const { y } = k.convForward({ ...fwd, bias: f32(bIn) });
    const gradFunc = (dy: tf.Tensor) => {
      const g = k.convBackward({ ...fwd, y: relu ? y : null, dy: f32(dy) });
      return [tf.tensor3d(g.dx, [batch, time, channels]), tf.tensor3d(g.dKernel, [taps, channels, filters]), tf.tensor1d(g.dBias)];
    };
    return { value: tf.tensor3d(y, [batch, time, filters]), gradFunc };
  }) as unknown as CustomGradFn);
  return run(x, kernel, bias) as tf.Tensor3D;
}

/** x [..., in] times kernel [in, out] plus bias, then relu when asked: a convolution of one tap. */
export function linear(k: LayerKernels, x: tf.Tensor, kernel: tf.Tensor2D, bias: tf.Tensor1D, relu: boolean): tf.Tensor {
  const [inSize, outSize] = kernel.shape;
  const rows = x.size / inSize;
  const y = convAlongTime(k, tf.reshape(x, [1, rows, inSize]), tf.reshape(kernel, [1, inSize, outSize]), bias, [0], relu);
  return tf.reshape(y, [...x.shape.slice(0, -1), outSize]);
}

/** Per-head softmax(Q K^T / sqrt(keyDim)) V of qkv [batch, time, 3 * heads * keyDim]: [batch, time, heads * keyDim]. */
export function attentionCore(k: LayerKernels, qkv: tf.Tensor3D, heads: number, keyDim: number): tf.Tensor3D {
  const [batch, time, width] = qkv.shape;
  if (width !== 3 * heads * keyDim) throw new Error(`attentionCore: qkv width ${width} is not 3 * ${heads} heads * ${keyDim}`);
  const run = tf.customGrad(((...args: unknown[]) => {
    const [qkvIn] = args as tf.Tensor[];
    const fwd = { batch, time, heads, keyDim, qkv: f32(qkvIn) };
    const res = k.attentionForward(fwd);
    const gradFunc = (dy: tf.Tensor) => {
      const g = k.attentionBackward({ ...fwd, probs: res.probs, dContext: f32(dy) });
      return [tf.tensor3d(g.dQkv, [batch, time, width])];
    };
    return { value: tf.tensor3d(res.context, [batch, time, heads * keyDim]), gradFunc };
  }) as unknown as CustomGradFn);
  return run(qkv) as tf.Tensor3D;
}

/**
 * LayerNorm over the last axis of u = x, or of the residual sum x + residual (skipWeight null) or
 * skipWeight * x + (1 - skipWeight) * residual, times gamma plus beta.
 */
export function layerNormalize(
  k: LayerKernels, x: tf.Tensor, residual: tf.Tensor | null, skipWeight: number | null,
  gamma: tf.Tensor, beta: tf.Tensor, epsilon: number,
): tf.Tensor {
  const width = x.shape[x.rank - 1];
  const rows = x.size / width;
  if (residual && !tf.util.arraysEqual(residual.shape, x.shape)) {
    throw new Error(`layerNormalize: residual [${residual.shape}] differs from x [${x.shape}]`);
  }
  const run = tf.customGrad(((...args: unknown[]) => {
    const t = args as tf.Tensor[];
    const [xIn, gIn, bIn] = t;
    const rIn = residual ? t[3] : null;
    const fwd = {
      rows, width, epsilon, skipWeight, x: f32(xIn), residual: rIn ? f32(rIn) : null, gamma: f32(gIn), beta: f32(bIn),
    };
    const res = k.layerNormForward(fwd);
    const gradFunc = (dy: tf.Tensor) => {
      const g = k.layerNormBackward({ ...fwd, stats: res.stats, dy: f32(dy) });
      const grads = [tf.tensor(g.dx, x.shape), tf.tensor1d(g.dGamma), tf.tensor1d(g.dBeta)];
      if (residual) grads.push(tf.tensor(g.dResidual!, x.shape));
      return grads;
    };
    return { value: tf.tensor(res.y, x.shape), gradFunc };
  }) as unknown as CustomGradFn);
  const inputs = [x, tf.reshape(gamma, [width]), tf.reshape(beta, [width]), ...(residual ? [residual] : [])];
  return run(...inputs);
}
