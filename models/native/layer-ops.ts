/**
 * The layer kernels as tensor ops: one tf.customGrad each, one kernel call forward and one
 * backward. The inputs the backward pass needs are saved as tensors (customGrad's save) and read
 * again there; what only the kernel produces (forward output, attention weights, normalisation
 * statistics) lives in the gradient closure. cpu and wasm backends only (host memory).
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvForwardArgs, LayerKernels } from './kernel-api.ts';

type CustomGradFn = Parameters<typeof tf.customGrad>[0];
type Save = (tensors: tf.Tensor[]) => void;

/** What hostView and kernelOutputs need of tfjs-backend-wasm 4.22's BackendWasm (not part of its public API). */
interface WasmBackendInternals {
  dataIdMap: { get(id: object): { memoryOffset: number | null; refCount: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

function wasmBackend(): WasmBackendInternals | null {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackendInternals) : null;
}

/**
 * A float32 tensor's values for one synchronous kernel call. On wasm, a view into the wasm heap
 * (tfjs's own readSync copies the whole tensor out): valid only until the next allocation in
 * that heap, so take views right before the call and never keep them. Elsewhere dataSync, which
 * on cpu returns the stored array itself.
 */
export function hostView(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`native kernels take float32 tensors, got ${t.dtype}`);
  return heapView(t) ?? (t.dataSync() as Float32Array);
}

/**
 * On wasm, a float32 tensor's byte offset in the wasm heap when its data exists (and, with
 * `alone`, no other tensor shares it: safe to write in place); else null.
 */
export function heapOffset(t: tf.Tensor, alone: boolean): number | null {
  const entry = wasmBackend()?.dataIdMap.get(t.dataId);
  if (!entry || t.dtype !== 'float32' || typeof entry.memoryOffset !== 'number') return null;
  return alone && entry.refCount !== 1 ? null : entry.memoryOffset;
}

/** On wasm, the whole heap as bytes (heapOffset's offsets index it); else null. */
export function wasmHeap(): Uint8Array | null {
  return wasmBackend()?.wasm.HEAPU8 ?? null;
}

/** On wasm, a float32 tensor's heap view to read (shared or not); else null. */
export function heapView(t: tf.Tensor): Float32Array | null {
  const offset = heapOffset(t, false);
  const heap = wasmHeap();
  return offset === null || !heap ? null : new Float32Array(heap.buffer, heap.byteOffset + offset, t.size);
}

export type Outputs<N extends string> = { out: Partial<Record<N, Float32Array>>; tensor(name: N, values: Float32Array): tf.Tensor };

/**
 * The result tensors of one kernel call. On wasm they are allocated in the wasm heap up front and
 * the kernel writes into them (`out`), so a result is neither a new host buffer for the garbage
 * collector nor copied into the heap afterwards; call this before taking any hostView (the
 * allocations may grow the heap). Elsewhere the kernel allocates and tensor() wraps its array.
 */
export function kernelOutputs<N extends string>(shapes: Record<N, number[]>): Outputs<N> {
  const backend = wasmBackend();
  if (!backend) return { out: {}, tensor: (name, values) => tf.tensor(values, shapes[name], 'float32') };
  const names = Object.keys(shapes) as N[];
  const tensors = new Map(names.map((name) => [name, tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shapes[name], 'float32'))]));
  const out: Partial<Record<N, Float32Array>> = {};
  for (const name of names) out[name] = hostView(tensors.get(name)!);
  return { out, tensor: (name) => tensors.get(name)! };
}

/**
 * One float32 tensor of `size` values for a kernel to write: on wasm allocated in the heap (call
 * before taking any hostView, as kernelOutputs), elsewhere a host array the tensor then wraps
 * (the cpu backend keeps the array itself). Its values are whatever the kernel writes.
 */
export function scratchTensor(shape: number[]): tf.Tensor {
  const backend = wasmBackend();
  if (backend) return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, 'float32'));
  return tf.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, 'float32');
}

/**
 * What a gradient function needs of its inputs, kept without a copy where that is safe. customGrad's
 * save clones each tensor (a tf kernel dispatch each, a dozen µs at these sizes); a tf.Variable
 * needs none: it outlives the backward pass, which runs before any optimizer writes it. Call
 * `save` with the result's `toSave`, then `restore(saved)` in the gradient function gives the
 * tensors back in their original order.
 */
export function keepForGradient(tensors: tf.Tensor[]): { toSave: tf.Tensor[]; restore(saved: tf.Tensor[]): tf.Tensor[] } {
  const held = tensors.map((t) => (t instanceof tf.Variable ? t : null));
  return {
    toSave: tensors.filter((_, i) => !held[i]),
    restore(saved) {
      let next = 0;
      return held.map((t) => t ?? saved[next++]);
    },
  };
}

/**
 * Rows [batch, time, channels] of `from` into [batch, outTime, channels] of `to`, step t landing at
 * step t + before (a negative `before` drops steps at the start, a short outTime at the end); the
 * steps of `to` nothing lands on are zeros. One block copy a sequence: a pad or a crop along time.
 */
export function shiftTimeRows(
  from: Float32Array, to: Float32Array, batch: number, time: number, outTime: number, channels: number, before: number,
): void {
  const first = Math.max(0, -before), last = Math.min(time, outTime - before);
  for (let b = 0; b < batch; b++) {
    const start = b * outTime * channels, lo = start + (first + before) * channels, hi = start + (last + before) * channels;
    to.fill(0, start, lo);
    to.set(from.subarray((b * time + first) * channels, (b * time + last) * channels), lo);
    to.fill(0, hi, start + outTime * channels);
  }
}

/** Consecutive views of one array, by name and size. */
export function carve<N extends string>(all: Float32Array, sizes: Record<N, number>): Record<N, Float32Array> {
  const views = {} as Record<N, Float32Array>;
  let at = 0;
  for (const name of Object.keys(sizes) as N[]) {
    views[name] = all.subarray(at, at + sizes[name]);
    at += sizes[name];
  }
  return views;
}

/** The convolution kernel's dimensions (kernel-api.ts ConvForwardArgs) without the arrays. */
type ConvDims = Omit<ConvForwardArgs, 'x' | 'kernel' | 'bias' | 'out'>;

/**
 * One native convolution as a tensor op. x, kernel and bias keep their own shapes (their
 * gradients take them), the output gets yShape: the kernel only needs the flat row-major data,
 * so no reshape is dispatched around it.
 */
function convOp(k: LayerKernels, dims: ConvDims, x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, yShape: number[]): tf.Tensor {
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xIn, kIn, bIn, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, Save];
    const fwd = kernelOutputs({ y: yShape });
    const { y } = k.convForward({ ...dims, x: hostView(xIn), kernel: hostView(kIn), bias: hostView(bIn), out: fwd.out });
    const value = fwd.tensor('y', y);
    // relu's backward masks by the output, saved like the inputs (its view may not outlive this call).
    const kept = keepForGradient(dims.relu ? [xIn, kIn, value] : [xIn, kIn]);
    save(kept.toSave);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ks, ys] = kept.restore(saved);
      const bwd = kernelOutputs({ dx: x.shape, dKernel: kernel.shape, dBias: bias.shape });
      const g = k.convBackward({ ...dims, x: hostView(xs), kernel: hostView(ks), y: ys ? hostView(ys) : null, dy: hostView(dy), out: bwd.out });
      return [bwd.tensor('dx', g.dx), bwd.tensor('dKernel', g.dKernel), bwd.tensor('dBias', g.dBias)];
    };
    return { value, gradFunc };
  }) as unknown as CustomGradFn);
  return run(x, kernel, bias);
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
  const dims = { batch, time, channels, filters, taps, offsets: Int32Array.from(offsets), relu };
  return convOp(k, dims, x, kernel, bias, [batch, time, filters]) as tf.Tensor3D;
}

const ONE_TAP = Int32Array.of(0);

/** x [..., in] times kernel [in, out] plus bias, then relu when asked: a convolution of one tap over all rows. */
export function linear(k: LayerKernels, x: tf.Tensor, kernel: tf.Tensor2D, bias: tf.Tensor1D, relu: boolean): tf.Tensor {
  const [inSize, outSize] = kernel.shape;
  if (x.shape[x.rank - 1] !== inSize) throw new Error(`linear: kernel [${kernel.shape}] does not fit input [${x.shape}]`);
  const dims = { batch: 1, time: x.size / inSize, channels: inSize, filters: outSize, taps: 1, offsets: ONE_TAP, relu };
  return convOp(k, dims, x, kernel, bias, [...x.shape.slice(0, -1), outSize]);
}

/** Per-head softmax(Q K^T / sqrt(keyDim)) V of qkv [batch, time, 3 * heads * keyDim]: [batch, time, heads * keyDim]. */
export function attentionCore(k: LayerKernels, qkv: tf.Tensor3D, heads: number, keyDim: number): tf.Tensor3D {
  const [batch, time, width] = qkv.shape;
  if (width !== 3 * heads * keyDim) throw new Error(`attentionCore: qkv width ${width} is not 3 * ${heads} heads * ${keyDim}`);
  const dims = { batch, time, heads, keyDim };
  const run = tf.customGrad(((...args: unknown[]) => {
    const [qkvIn, save] = args as [tf.Tensor, Save];
    // The probabilities too go to the wasm heap, saved for the backward pass like the input
    // (a share, not a copy): no host array of batch * heads * time^2 floats a call for the GC.
    const fwd = kernelOutputs({ context: [batch, time, heads * keyDim], probs: [batch, heads, time, time] });
    const res = k.attentionForward({ ...dims, qkv: hostView(qkvIn), out: fwd.out });
    save([qkvIn, fwd.tensor('probs', res.probs)]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const bwd = kernelOutputs({ dQkv: [batch, time, width] });
      const g = k.attentionBackward({
        ...dims, qkv: hostView(saved[0]), probs: hostView(saved[1]), dContext: hostView(dy), out: bwd.out,
      });
      return [bwd.tensor('dQkv', g.dQkv)];
    };
    return { value: fwd.tensor('context', res.context), gradFunc };
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
    // beta does not enter the backward pass.
    const kept = keepForGradient(residual ? [xIn, gIn, rIn] : [xIn, gIn]);
    save(kept.toSave);
    const fwd = kernelOutputs({ y: x.shape });
    const res = k.layerNormForward({
      ...dims, x: hostView(xIn), residual: rIn ? hostView(rIn) : null, gamma: hostView(gIn), beta: hostView(bIn), out: fwd.out,
    });
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, gs, rs] = kept.restore(saved);
      const shapes: Record<string, number[]> = { dx: x.shape, dGamma: [width], dBeta: [width] };
      if (residual) shapes.dResidual = x.shape;
      const bwd = kernelOutputs(shapes);
      const g = k.layerNormBackward({
        ...dims, x: hostView(xs), residual: rs ? hostView(rs) : null, gamma: hostView(gs), stats: res.stats, dy: hostView(dy), out: bwd.out,
      });
      const grads = [bwd.tensor('dx', g.dx), bwd.tensor('dGamma', g.dGamma), bwd.tensor('dBeta', g.dBeta)];
      if (residual) grads.push(bwd.tensor('dResidual', g.dResidual!));
      return grads;
    };
    return { value: fwd.tensor('y', res.y), gradFunc };
  }) as unknown as CustomGradFn);
  const flat = (t: tf.Tensor) => (t.rank === 1 ? t : tf.reshape(t, [width]));
  const inputs = [x, flat(gamma), flat(beta), ...(residual ? [residual] : [])];
  return run(...inputs);
}
