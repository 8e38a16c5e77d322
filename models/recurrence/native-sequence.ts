/**
 * LSTM / GRU over a whole sequence through the native kernels (kernel-api.ts): one kernel call
 * forward and one backward. cpu and wasm backends only (host memory).
 *
 * Memory: on wasm the kernels read their inputs in place in the wasm heap and write every result
 * (h, the backward cache, the gradients) into tensors allocated there beforehand
 * (models/native kernelOutputs): no host copy of any tensor, no host buffer left to the garbage
 * collector. The cache and h are saved for the backward pass as tensors and freed as soon as it
 * has used them, so the next layer's backward reuses their place in the heap.
 */
import * as tf from '@tensorflow/tfjs';
import { hostView, kernelOutputs, shareClonesOnWasm } from '../native/index.ts';
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

/** The forward results of one direction that the backward pass reads: h and the kernel's cache. */
function forwardShapes(cell: 'lstm' | 'gru', d: Dims) {
  const stateShape = [d.batch, d.units];
  return {
    h: [d.batch, d.time, d.units], cache: [d.batch * d.time * CACHE_PER_UNIT[cell] * d.units],
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
 * One direction forward: the kernel call with its results in backend memory. Returns h and the
 * cache as tensors (the last states, which no caller reads here, are freed at once).
 */
function runForward(kernels: RecurrenceKernels, cell: 'lstm' | 'gru', dims: Dims, x: tf.Tensor, states: tf.Tensor[], weights: tf.Tensor[]) {
  const fwd = kernelOutputs(forwardShapes(cell, dims));
  const args = { ...directionArgs(cell, dims, x, states, weights), out: fwd.out };
  const res: { h: Float32Array; hLast: Float32Array; cLast?: Float32Array; cache: Float32Array } =
    cell === 'lstm' ? kernels.lstmForward(args) : kernels.gruForward(args);
  fwd.tensor('hLast', res.hLast).dispose();
  if (res.cLast) fwd.tensor('cLast', res.cLast).dispose();
  return { h: fwd.tensor('h', res.h), cache: fwd.tensor('cache', res.cache) };
}

/**
 * One direction backward, `dh` the gradient reaching its h; frees the saved h and cache right
 * after the call. Returns dx and the gradients of the states and weights, in input order.
 */
function runBackward(
  kernels: RecurrenceKernels, cell: 'lstm' | 'gru', dims: Dims,
  x: tf.Tensor, states: tf.Tensor[], weights: tf.Tensor[], h: tf.Tensor, cache: tf.Tensor, dh: tf.Tensor,
): { dx: tf.Tensor; rest: tf.Tensor[] } {
  const bwd = kernelOutputs(gradientShapes(cell, dims));
  const args = {
    ...directionArgs(cell, dims, x, states, weights),
    cache: hostView(cache), h: hostView(h), dh: hostView(dh), dhLast: null, out: bwd.out,
  };
  const g = cell === 'lstm' ? kernels.lstmBackward({ ...args, dcLast: null }) : kernels.gruBackward(args);
  h.dispose();
  cache.dispose();
  return {
    dx: bwd.tensor('dx', g.dx),
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
    save([...t, h, cache]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [x, ...others] = saved.slice(0, t.length);
      const [hs, cs] = saved.slice(t.length);
      const g = runBackward(kernels, cell, dims, x, others.slice(0, nStates), others.slice(nStates), hs, cs, dy);
      return [g.dx, ...g.rest];
    };
    return { value: h, gradFunc };
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
 * 'sum') in the same pass over host memory: saves tfjs's concat and the slices of its gradient,
 * which on wasm copy the whole [batch, time, 2 * units] tensor each. Returns [batch, time, out].
 */
export function bidirectionalSequenceNative(
  kernels: RecurrenceKernels, cell: 'lstm' | 'gru', merge: 'concat' | 'sum',
  x: tf.Tensor3D, forward: DirectionInputs, backward: DirectionInputs,
): tf.Tensor3D {
  shareClonesOnWasm();
  const [batch, time, inputSize] = x.shape;
  const units = forward.recurrentKernel.shape[0];
  const nStates = forward.states.length;
  const rows = batch * time;
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
    const results = dims.map((d, i) => runForward(kernels, cell, d, t[0], split(t, i).states, split(t, i).weights));
    const merged = kernelOutputs({ out: [batch, time, width] });
    const out = merged.out.out ?? new Float32Array(rows * width);
    const [hf, hb] = results.map((r) => hostView(r.h));
    if (merge === 'concat') {
      for (let i = 0; i < rows; i++) {
        out.set(hf.subarray(i * units, (i + 1) * units), i * width);
        out.set(hb.subarray(i * units, (i + 1) * units), i * width + units);
      }
    } else {
      for (let i = 0; i < out.length; i++) out[i] = hf[i] + hb[i];
    }
    save([...t, ...results.flatMap((r) => [r.h, r.cache])]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const inputs = saved.slice(0, t.length);
      const kept = saved.slice(t.length);
      // Each direction's share of dy: its half of the features ('concat'), or all of dy ('sum').
      let dh = [dy, dy];
      if (merge === 'concat') {
        const halves = kernelOutputs({ forward: [batch, time, units], backward: [batch, time, units] });
        const parts = [halves.out.forward ?? new Float32Array(rows * units), halves.out.backward ?? new Float32Array(rows * units)];
        const dyData = hostView(dy);
        parts.forEach((part, d) => {
          for (let i = 0; i < rows; i++) part.set(dyData.subarray(i * width + d * units, i * width + (d + 1) * units), i * units);
        });
        dh = [halves.tensor('forward', parts[0]), halves.tensor('backward', parts[1])];
      }
      const grads = dims.map((d, i) => {
        const g = runBackward(kernels, cell, d, inputs[0], split(inputs, i).states, split(inputs, i).weights, kept[2 * i], kept[2 * i + 1], dh[i]);
        if (merge === 'concat') dh[i].dispose();
        return g;
      });
      // dx of both directions summed into the forward one's (a tensor of its own, written in place).
      const dx = hostView(grads[0].dx);
      const dxBackward = hostView(grads[1].dx);
      for (let i = 0; i < dx.length; i++) dx[i] += dxBackward[i];
      grads[1].dx.dispose();
      return [grads[0].dx, ...grads[0].rest, ...grads[1].rest];
    };
    return { value: merged.tensor('out', out), gradFunc };
  }) as unknown as CustomGradFn);
  const inputs = [forward, backward].flatMap((d) => [...d.states, d.kernel, d.recurrentKernel, d.bias]);
  return run(x, ...inputs) as tf.Tensor3D;
}
