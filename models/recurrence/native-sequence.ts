/**
 * LSTM / GRU over a whole sequence through the native kernels (kernel-api.ts): one kernel call
 * forward and one backward. cpu and wasm backends only (host memory).
 *
 * Memory: on wasm the kernels read their inputs in place in the wasm heap and write every result
 * (h, the backward cache, the gradients) into tensors allocated there beforehand
 * (models/native kernelOutputs): no host copy of any tensor, no host buffer left to the garbage
 * collector. The cache and h are saved for the backward pass as tensors (customGrad's save: on wasm
 * a share, not a copy) and each cache is freed as soon as its backward call has used it, so the
 * next layer's backward reuses its place in the heap.
 */
import * as tf from '@tensorflow/tfjs';
import { hostView, kernelOutputs, shareClonesOnWasm, type Outputs } from '../native/index.ts';
import type { LstmBackwardResult, RecurrenceKernels } from './kernel-api.ts';

type Save = (tensors: tf.Tensor[]) => void;
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/** Floats the kernels cache per (batch row, step, unit), as native/src/kernels.h sizes it. */
const CACHE_PER_UNIT = { lstm: 5, gru: 4 } as const;

const GATES = { lstm: 4, gru: 3 } as const;

interface Dims { batch: number; time: number; inputSize: number; units: number; reverse: boolean }

/** The host arrays of one direction's inputs: x, states, then kernel, recurrent kernel, bias. */
function directionArgs(cell: 'lstm' | 'gru', dims: Dims, x: tf.Tensor, states: tf.Tensor[], weights: tf.Tensor[]) {
  const [kernel, recurrentKernel, bias] = weights.map(hostView);
  return {
    ...dims, x: hostView(x), kernel, recurrentKernel, bias,
    h0: hostView(states[0]), c0: cell === 'lstm' ? hostView(states[1]) : null,
  };
}

/** Where a direction's h lives: its own tensor, or its half of a bidirectional layer's merged output. */
interface HPlace { tensor: tf.Tensor; offset: number; stride: number }

/** The floats of h (or dh) in `place` for one direction: batch * time rows of `units`, `stride` apart. */
function hView(place: HPlace, d: Dims): Float32Array {
  return hostView(place.tensor).subarray(place.offset, place.offset + (d.batch * d.time - 1) * place.stride + d.units);
}

/**
 * A result several kernel calls write into. On wasm a heap tensor, whose view is taken again right
 * before each call (an allocation may move the heap); elsewhere a host array wrapped at the end.
 */
function sharedOutput(shape: number[]): { tensor(): tf.Tensor; place(offset: number, stride: number): HPlace | Float32Array } {
  const outs = kernelOutputs({ out: shape });
  if (outs.out.out) {
    const t = outs.tensor('out', outs.out.out);
    return { tensor: () => t, place: (offset, stride) => ({ tensor: t, offset, stride }) };
  }
  const host = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let t: tf.Tensor | null = null;
  return { tensor: () => (t ??= tf.tensor(host, shape)), place: (offset) => host.subarray(offset) };
}

/** The forward results of one direction that the backward pass reads: h (unless given) and the kernel's cache. */
function forwardShapes(cell: 'lstm' | 'gru', d: Dims, ownH: boolean) {
  const stateShape = [d.batch, d.units];
  return {
    ...(ownH ? { h: [d.batch, d.time, d.units] } : {}), cache: [d.batch * d.time * CACHE_PER_UNIT[cell] * d.units],
    hLast: stateShape, ...(cell === 'lstm' ? { cLast: stateShape } : {}),
  } as Record<'h' | 'cache' | 'hLast' | 'cLast', number[]>;
}

/** The gradient tensors of one direction, in the order of its inputs after x (states, weights). */
function gradientShapes(cell: 'lstm' | 'gru', d: Dims) {
  const G = GATES[cell] * d.units;
  const stateShape = [d.batch, d.units];
  return {
    dx: [d.batch, d.time, d.inputSize], dh0: stateShape, ...(cell === 'lstm' ? { dc0: stateShape } : {}),
    dKernel: [d.inputSize, G], dRecurrentKernel: [d.units, G], dBias: [G],
  } as Record<'dx' | 'dh0' | 'dc0' | 'dKernel' | 'dRecurrentKernel' | 'dBias', number[]>;
}

/**
 * One direction forward: the kernel call with its results in backend memory. h goes to `into`
 * (a merged output: rows `stride` apart from `offset`) or to a tensor of its own; returns that
 * tensor (null with `into`) and the cache (the last states, which no caller reads here, are freed
 * at once).
 */
function runForward(
  kernels: RecurrenceKernels, cell: 'lstm' | 'gru', dims: Dims, x: tf.Tensor, states: tf.Tensor[], weights: tf.Tensor[],
  into?: { output: ReturnType<typeof sharedOutput>; offset: number; stride: number },
) {
  const fwd = kernelOutputs(forwardShapes(cell, dims, !into));
  const out = { ...fwd.out };
  if (into) {
    const place = into.output.place(into.offset, into.stride);
    out.h = place instanceof Float32Array ? place.subarray(0, (dims.batch * dims.time - 1) * into.stride + dims.units) : hView(place, dims);
  }
  const args = { ...directionArgs(cell, dims, x, states, weights), hStride: into?.stride, out };
  const res: { h: Float32Array; hLast: Float32Array; cLast?: Float32Array; cache: Float32Array } =
    cell === 'lstm' ? kernels.lstmForward(args) : kernels.gruForward(args);
  fwd.tensor('hLast', res.hLast).dispose();
  if (res.cLast) fwd.tensor('cLast', res.cLast).dispose();
  return { h: into ? null : fwd.tensor('h', res.h), cache: fwd.tensor('cache', res.cache) };
}

/**
 * One direction backward, h and dh where the forward put h (`h.stride` apart), the saved cache
 * freed right after the call. Returns dx and the gradients of the states and weights, in input order.
 * With `addDxTo` (the other direction's dx, a tensor of its own), x's gradient is added into it in
 * the kernel and that tensor returned.
 */
function runBackward(
  kernels: RecurrenceKernels, cell: 'lstm' | 'gru', dims: Dims,
  x: tf.Tensor, states: tf.Tensor[], weights: tf.Tensor[], h: HPlace, cache: tf.Tensor, dh: HPlace, addDxTo?: tf.Tensor,
): { dx: tf.Tensor; rest: tf.Tensor[] } {
  const shapes = gradientShapes(cell, dims);
  const { dx: _ownDx, ...otherShapes } = shapes;
  // One allocation for all of the call's outputs, then the views (an allocation may grow the wasm heap).
  const bwd = (addDxTo ? kernelOutputs(otherShapes) : kernelOutputs(shapes)) as Outputs<keyof typeof shapes>;
  const out = addDxTo ? { ...bwd.out, dx: hostView(addDxTo) } : bwd.out;
  const args = {
    ...directionArgs(cell, dims, x, states, weights), hStride: h.stride,
    cache: hostView(cache), h: hView(h, dims), dh: hView(dh, dims), dhLast: null, accumulateDx: addDxTo !== undefined, out,
  };
  const g = cell === 'lstm' ? kernels.lstmBackward({ ...args, dcLast: null }) : kernels.gruBackward(args);
  cache.dispose();
  return {
    dx: addDxTo ?? bwd.tensor('dx', g.dx),
    rest: [
      bwd.tensor('dh0', g.dh0),
      ...(cell === 'lstm' ? [bwd.tensor('dc0', (g as LstmBackwardResult).dc0)] : []),
      bwd.tensor('dKernel', g.dKernel), bwd.tensor('dRecurrentKernel', g.dRecurrentKernel), bwd.tensor('dBias', g.dBias),
    ],
  };
}

/** One direction as a tensor op: inputs x, states (h0, c0 for LSTM; h0 for GRU), kernel, recurrent kernel, bias. */
function sequenceOp(kernels: RecurrenceKernels, cell: 'lstm' | 'gru', dims: Dims, inputs: tf.Tensor[]): tf.Tensor3D {
  shareClonesOnWasm();
  const nStates = cell === 'lstm' ? 2 : 1;
  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as Save;
    const t = args as tf.Tensor[];
    const { h, cache } = runForward(kernels, cell, dims, t[0], t.slice(1, 1 + nStates), t.slice(1 + nStates));
    save([...t, h!, cache]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [x, ...others] = saved.slice(0, t.length);
      const [hs, cs] = saved.slice(t.length);
      const own = (tensor: tf.Tensor): HPlace => ({ tensor, offset: 0, stride: dims.units });
      const g = runBackward(kernels, cell, dims, x, others.slice(0, nStates), others.slice(nStates), own(hs), cs, own(dy));
      hs.dispose();
      return [g.dx, ...g.rest];
    };
    return { value: h!, gradFunc };
  }) as unknown as CustomGradFn);
  return run(...inputs) as tf.Tensor3D;
}

/** Hidden state at every step, [batch, time, units], input time order. */
export function lstmSequenceNative(
  kernels: RecurrenceKernels,
  x: tf.Tensor3D, h0: tf.Tensor2D, c0: tf.Tensor2D,
  kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, reverse: boolean,
): tf.Tensor3D {
  const [batch, time, inputSize] = x.shape;
  const dims = { batch, time, inputSize, units: h0.shape[1], reverse };
  return sequenceOp(kernels, 'lstm', dims, [x, h0, c0, kernel, recurrentKernel, bias]);
}

/** Hidden state at every step, [batch, time, units], input time order. */
export function gruSequenceNative(
  kernels: RecurrenceKernels,
  x: tf.Tensor3D, h0: tf.Tensor2D,
  kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, reverse: boolean,
): tf.Tensor3D {
  const [batch, time, inputSize] = x.shape;
  const dims = { batch, time, inputSize, units: h0.shape[1], reverse };
  return sequenceOp(kernels, 'gru', dims, [x, h0, kernel, recurrentKernel, bias]);
}

interface DirectionInputs { kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D; bias: tf.Tensor1D; states: tf.Tensor2D[] }

/**
 * Both directions of a bidirectional layer in one op, merged ('concat' on the feature axis or
 * 'sum'): saves tfjs's concat and the slices of its gradient, which on wasm copy the whole
 * [batch, time, 2 * units] tensor each. With 'concat' each direction's kernel writes its h into
 * its half of the merged rows and reads its dh from dy in place (hStride): no h of its own, no
 * copies. Returns [batch, time, out].
 */
export function bidirectionalSequenceNative(
  kernels: RecurrenceKernels, cell: 'lstm' | 'gru', merge: 'concat' | 'sum',
  x: tf.Tensor3D, forward: DirectionInputs, backward: DirectionInputs,
): tf.Tensor3D {
  shareClonesOnWasm();
  const [batch, time, inputSize] = x.shape;
  const units = forward.recurrentKernel.shape[0];
  const nStates = forward.states.length;
  const width = merge === 'concat' ? 2 * units : units;
  const dims = [false, true].map((reverse) => ({ batch, time, inputSize, units, reverse }));
  // Inputs after x, per direction: states, then kernel, recurrent kernel, bias.
  const perDirection = nStates + 3;
  const split = (t: tf.Tensor[], d: number) => {
    const own = t.slice(1 + d * perDirection, 1 + (d + 1) * perDirection);
    return { states: own.slice(0, nStates), weights: own.slice(nStates) };
  };
  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as Save;
    const t = args as tf.Tensor[];
    const merged = sharedOutput([batch, time, width]);
    // 'concat': each direction writes its h straight into its half of the merged rows; 'sum': each
    // into a tensor of its own, added here.
    const results = dims.map((d, i) => runForward(kernels, cell, d, t[0], split(t, i).states, split(t, i).weights,
      merge === 'concat' ? { output: merged, offset: i * units, stride: width } : undefined));
    if (merge === 'sum') {
      const place = merged.place(0, width);
      const out = place instanceof Float32Array ? place : hostView(place.tensor);
      const [hf, hb] = results.map((r) => hostView(r.h!));
      for (let i = 0; i < out.length; i++) out[i] = hf[i] + hb[i];
    }
    const value = merged.tensor();
    save([...t, ...(merge === 'concat' ? [value] : results.map((r) => r.h!)), ...results.map((r) => r.cache)]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const inputs = saved.slice(0, t.length);
      const hs = saved.slice(t.length, saved.length - 2);
      const caches = saved.slice(saved.length - 2);
      // h and dh of each direction: its half of the merged rows ('concat'), or its own h and all of dy ('sum').
      const places = dims.map((_, i) => merge === 'concat'
        ? { h: { tensor: hs[0], offset: i * units, stride: width }, dh: { tensor: dy, offset: i * units, stride: width } }
        : { h: { tensor: hs[i], offset: 0, stride: units }, dh: { tensor: dy, offset: 0, stride: units } });
      // dx of both directions summed into the forward one's (a tensor of its own) by the second call.
      const backward = (i: number, addDxTo?: tf.Tensor) =>
        runBackward(kernels, cell, dims[i], inputs[0], split(inputs, i).states, split(inputs, i).weights, places[i].h, caches[i], places[i].dh, addDxTo);
      const first = backward(0);
      const second = backward(1, first.dx);
      for (const h of hs) h.dispose();
      return [first.dx, ...first.rest, ...second.rest];
    };
    return { value, gradFunc };
  }) as unknown as CustomGradFn);
  const inputs = [forward, backward].flatMap((d) => [...d.states, d.kernel, d.recurrentKernel, d.bias]);
  return run(x, ...inputs) as tf.Tensor3D;
}
