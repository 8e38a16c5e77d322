/**
 * LSTM / GRU over a whole sequence through the native kernels (kernel-api.ts): one synchronous
 * read of the inputs, one kernel call forward and one backward; the kernel's cache lives in the
 * gradient closure, not in tensors. cpu and wasm backends only (dataSync).
 */
import * as tf from '@tensorflow/tfjs';
import type { GruForwardArgs, LstmBackwardResult, LstmForwardArgs, RecurrenceKernels } from './kernel-api.ts';

const f32 = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

/** Hidden state at every step, [batch, time, units], input time order. */
export function lstmSequenceNative(
  kernels: RecurrenceKernels,
  x: tf.Tensor3D, h0: tf.Tensor2D, c0: tf.Tensor2D,
  kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, reverse: boolean,
): tf.Tensor3D {
  const [batch, time, inputSize] = x.shape;
  const units = h0.shape[1];
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xIn, h0In, c0In, k, r, b] = args as tf.Tensor[];
    const fwd: LstmForwardArgs = {
      batch, time, inputSize, units, reverse,
      x: f32(xIn), h0: f32(h0In), c0: f32(c0In), kernel: f32(k), recurrentKernel: f32(r), bias: f32(b),
    };
    const res = kernels.lstmForward(fwd);
    const gradFunc = (dy: tf.Tensor) => {
      const g = kernels.lstmBackward({ ...fwd, cache: res.cache, h: res.h, dh: f32(dy), dhLast: null, dcLast: null });
      return [
        tf.tensor3d(g.dx, [batch, time, inputSize]), tf.tensor2d(g.dh0, [batch, units]),
        tf.tensor2d(g.dc0, [batch, units]), tf.tensor2d(g.dKernel, k.shape as [number, number]),
        tf.tensor2d(g.dRecurrentKernel, r.shape as [number, number]), tf.tensor1d(g.dBias),
      ];
    };
    return { value: tf.tensor3d(res.h, [batch, time, units]), gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(x, h0, c0, kernel, recurrentKernel, bias) as tf.Tensor3D;
}

/** Hidden state at every step, [batch, time, units], input time order. */
export function gruSequenceNative(
  kernels: RecurrenceKernels,
  x: tf.Tensor3D, h0: tf.Tensor2D,
  kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, reverse: boolean,
): tf.Tensor3D {
  const [batch, time, inputSize] = x.shape;
  const units = h0.shape[1];
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xIn, h0In, k, r, b] = args as tf.Tensor[];
    const fwd: GruForwardArgs = {
      batch, time, inputSize, units, reverse,
      x: f32(xIn), h0: f32(h0In), kernel: f32(k), recurrentKernel: f32(r), bias: f32(b),
    };
    const res = kernels.gruForward(fwd);
    const gradFunc = (dy: tf.Tensor) => {
      const g = kernels.gruBackward({ ...fwd, cache: res.cache, h: res.h, dh: f32(dy), dhLast: null });
      return [
        tf.tensor3d(g.dx, [batch, time, inputSize]), tf.tensor2d(g.dh0, [batch, units]),
        tf.tensor2d(g.dKernel, k.shape as [number, number]),
        tf.tensor2d(g.dRecurrentKernel, r.shape as [number, number]), tf.tensor1d(g.dBias),
      ];
    };
    return { value: tf.tensor3d(res.h, [batch, time, units]), gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(x, h0, kernel, recurrentKernel, bias) as tf.Tensor3D;
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
  const [batch, time, inputSize] = x.shape;
  const units = forward.recurrentKernel.shape[0];
  const nStates = forward.states.length;
  const rows = batch * time;
  const width = merge === 'concat' ? 2 * units : units;
  const run = tf.customGrad(((...args: unknown[]) => {
    const t = args as tf.Tensor[];
    const xData = f32(t[0]);
    // Inputs after x: forward states, forward weights, backward states, backward weights.
    const dirArgs = [0, 1].map((d) => {
      const base = 1 + d * (nStates + 3);
      const [h0, c0] = t.slice(base, base + nStates).map(f32);
      const [k, r, b] = t.slice(base + nStates, base + nStates + 3).map(f32);
      return { batch, time, inputSize, units, x: xData, kernel: k, recurrentKernel: r, bias: b, h0, c0: c0 ?? null, reverse: d === 1 };
    });
    const results = dirArgs.map((a) => (cell === 'lstm' ? kernels.lstmForward(a) : kernels.gruForward(a)));
    const out = new Float32Array(rows * width);
    const [hf, hb] = results.map((res) => res.h);
    if (merge === 'concat') {
      for (let i = 0; i < rows; i++) {
        out.set(hf.subarray(i * units, (i + 1) * units), i * width);
        out.set(hb.subarray(i * units, (i + 1) * units), i * width + units);
      }
    } else {
      for (let i = 0; i < out.length; i++) out[i] = hf[i] + hb[i];
    }
    const gradFunc = (dy: tf.Tensor) => {
      const dyData = f32(dy);
      const grads = dirArgs.map((a, d) => {
        let dh = dyData;
        if (merge === 'concat') {
          dh = new Float32Array(rows * units);
          for (let i = 0; i < rows; i++) dh.set(dyData.subarray(i * width + d * units, i * width + (d + 1) * units), i * units);
        }
        const common = { ...a, cache: results[d].cache, h: results[d].h, dh, dhLast: null };
        return cell === 'lstm'
          ? kernels.lstmBackward({ ...common, dcLast: null })
          : kernels.gruBackward(common);
      });
      const dx = grads[0].dx;
      for (let i = 0; i < dx.length; i++) dx[i] += grads[1].dx[i];
      const perDirection = grads.flatMap((g) => [
        tf.tensor2d(g.dh0, [batch, units]),
        ...(cell === 'lstm' ? [tf.tensor2d((g as LstmBackwardResult).dc0, [batch, units])] : []),
        tf.tensor2d(g.dKernel, [inputSize, g.dKernel.length / inputSize]),
        tf.tensor2d(g.dRecurrentKernel, [units, g.dRecurrentKernel.length / units]),
        tf.tensor1d(g.dBias),
      ]);
      return [tf.tensor3d(dx, [batch, time, inputSize]), ...perDirection];
    };
    return { value: tf.tensor3d(out, [batch, time, width]), gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const inputs = [forward, backward].flatMap((d) => [...d.states, d.kernel, d.recurrentKernel, d.bias]);
  return run(x, ...inputs) as tf.Tensor3D;
}
