/**
 * The layer kernels as tensor ops: one tf.customGrad each, one kernel call forward and one
 * backward. The inputs the backward pass needs are saved as tensors (customGrad's save) and read
 * again there; what only the kernel produces (forward output, attention weights, normalisation
 * statistics) lives in the gradient closure. cpu and wasm backends only (host memory).
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerKernels } from './kernel-api.ts';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];
type Save = (tensors: tf.Tensor[]) => void;

/** What hostView needs of tfjs-backend-wasm 4.22's BackendWasm (not part of its public API). */
interface WasmBackendInternals {
  dataIdMap: { get(id: object): { memoryOffset: number | null } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

/**
 * A float32 tensor's values for one synchronous kernel call. On wasm, a view into the wasm heap
 * (tfjs's own readSync copies the whole tensor out): valid only until the next allocation in
 * that heap, so take views right before the call and never keep them. Elsewhere dataSync, which
 * on cpu returns the stored array itself.
 */
function hostView(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`native kernels take float32 tensors, got ${t.dtype}`);
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as WasmBackendInternals;
    const offset = backend.dataIdMap?.get(t.dataId)?.memoryOffset;
    const heap = backend.wasm?.HEAPU8;
    if (typeof offset === 'number' && heap) return new Float32Array(heap.buffer, heap.byteOffset + offset, t.size);
  }
  return t.dataSync() as Float32Array;
}

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
  const dims = { batch, time, channels, filters, taps, offsets: offsetArray, relu };
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xIn, kIn, bIn, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, Save];
    save([xIn, kIn]);
    const { y } = k.convForward({ ...dims, x: hostView(xIn), kernel: hostView(kIn), bias: hostView(bIn) });
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ks] = saved;
      const g = k.convBackward({ ...dims, x: hostView(xs), kernel: hostView(ks), y: relu ? y : null, dy: hostView(dy) });
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
  const dims = { batch, time, heads, keyDim };
  const run = tf.customGrad(((...args: unknown[]) => {
    const [qkvIn, save] = args as [tf.Tensor, Save];
    save([qkvIn]);
    const res = k.attentionForward({ ...dims, qkv: hostView(qkvIn) });
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const g = k.attentionBackward({ ...dims, qkv: hostView(saved[0]), probs: res.probs, dContext: hostView(dy) });
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
  const dims = { rows, width, epsilon, skipWeight };
  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as Save;
    const [xIn, gIn, bIn, rIn] = args as tf.Tensor[];
    save(residual ? [xIn, gIn, bIn, rIn] : [xIn, gIn, bIn]);
    const res = k.layerNormForward({
      ...dims, x: hostView(xIn), residual: rIn ? hostView(rIn) : null, gamma: hostView(gIn), beta: hostView(bIn),
    });
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, gs, bs, rs] = saved;
      const g = k.layerNormBackward({
        ...dims, x: hostView(xs), residual: rs ? hostView(rs) : null, gamma: hostView(gs), beta: hostView(bs),
        stats: res.stats, dy: hostView(dy),
      });
      const grads = [tf.tensor(g.dx, x.shape), tf.tensor1d(g.dGamma), tf.tensor1d(g.dBeta)];
      if (residual) grads.push(tf.tensor(g.dResidual!, x.shape));
      return grads;
    };
    return { value: tf.tensor(res.y, x.shape), gradFunc };
  }) as unknown as CustomGradFn);
  const inputs = [x, tf.reshape(gamma, [width]), tf.reshape(beta, [width]), ...(residual ? [residual] : [])];
  return run(...inputs);
}
