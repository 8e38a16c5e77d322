/**
 * LSTM / GRU over a whole sequence on the webgpu backend, all directions in one op, through the
 * WGSL programs of webgpu-programs.ts. Per batch: forward = one matMul (the input projection of
 * every step and direction) + one dispatch a step (two for GRU, whose candidate needs every unit's
 * reset gate first); backward = one dispatch a step (two for GRU) + one for the initial states +
 * the weight gradients as matMuls over all steps at once. Nothing is read back to the host.
 * The steps run plain or tiled (webgpuStep: by the units, or TIDAL_WEBGPU_STEP).
 */
import * as tf from '@tensorflow/tfjs';
import {
  GATES, GruBackwardGates, GruBackwardGatesTiled, GruBackwardReset, GruBackwardResetTiled, GruForwardGates, GruForwardGatesTiled,
  GruForwardState, GruForwardStateTiled, GruStateGrad,
  LstmBackwardStep, LstmBackwardStepTiled, LstmForwardStep, LstmForwardStepTiled, LstmStateGrad, TILED_THREADS,
  TILED_WORKGROUP_BYTES, TRACE_WIDTH,
  type SequenceDims, type WebGpuBackendLike, type WebGpuProgram,
} from './webgpu-programs.ts';
import { webgpuStep } from './recurrence-path.ts';

export interface WebGpuDirection {
  reverse: boolean;
  /** [h0] for GRU, [h0, c0] for LSTM, each [batch, units]. */
  states: tf.Tensor2D[];
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

function webgpuBackend(): WebGpuBackendLike {
  if (tf.getBackend() !== 'webgpu') throw new Error(`the webgpu recurrence needs the webgpu backend, not '${tf.getBackend()}'`);
  return tf.backend() as unknown as WebGpuBackendLike;
}

const toTensor = (info: tf.TensorInfo): tf.Tensor => tf.engine().makeTensorFromTensorInfo(info);

/** Runs `program` once a step into one buffer (steps in `order`), returned as a tensor. */
function runSteps(backend: WebGpuBackendLike, programs: WebGpuProgram[], inputs: tf.Tensor[][], steps: number[]): tf.Tensor {
  const out = backend.makeTensorInfo(programs[0].outputShape, 'float32');
  for (const step of steps) {
    programs.forEach((p, i) => backend.runWebGPUProgram(p, inputs[i], 'float32', [{ type: 'int32', data: [step] }], out));
  }
  return toTensor(out);
}

function runOnce(backend: WebGpuBackendLike, program: WebGpuProgram, inputs: tf.Tensor[]): tf.Tensor {
  return toTensor(backend.runWebGPUProgram(program, inputs, 'float32', [{ type: 'int32', data: [0] }]));
}

/**
 * Hidden states of every direction at every step, [batch, time, directions * units] in input
 * time order (direction 0's units first: a bidirectional 'concat' output as it is).
 * Gradients flow to x, the states and every direction's kernel, recurrent kernel and bias.
 * `maxBindingBytes` overrides the adapter's binding limit that decides the row chunks (tests).
 */
export function recurrentSequenceWebGpu(
  cell: 'lstm' | 'gru', x: tf.Tensor3D, directions: WebGpuDirection[], maxBindingBytes?: number,
): tf.Tensor3D {
  const backend = webgpuBackend();
  const [batch, time] = x.shape;
  const units = directions[0].recurrentKernel.shape[0];
  const D = directions.length;
  // The largest buffer a program binds is the forward trace (or the input projection); a batch
  // whose trace is over the adapter's binding limit (128 MiB on llvmpipe) runs in row chunks.
  const rowBytes = time * D * Math.max(TRACE_WIDTH[cell], GATES[cell]) * units * 4;
  const limit = maxBindingBytes ?? backend.device.limits.maxStorageBufferBindingSize;
  const rowsPerChunk = Math.floor(limit / rowBytes);
  if (rowsPerChunk < 1) {
    throw new Error(`the webgpu ${cell} of ${units} units over ${time} steps needs ${(rowBytes / 2 ** 20).toFixed(0)} MiB a sequence, ` +
      `over this adapter's maxStorageBufferBindingSize (${(limit / 2 ** 20).toFixed(0)} MiB)`);
  }
  if (batch <= rowsPerChunk) return sequenceOp(backend, cell, x, directions);
  const sizes = Array.from({ length: Math.ceil(batch / rowsPerChunk) }, (_, i) => Math.min(rowsPerChunk, batch - i * rowsPerChunk));
  const xs = tf.split(x, sizes, 0) as tf.Tensor3D[];
  const states = directions.map((d) => d.states.map((s) => tf.split(s, sizes, 0) as tf.Tensor2D[]));
  const chunks = xs.map((xc, c) => sequenceOp(backend, cell, xc, directions.map((d, di) => ({ ...d, states: states[di].map((s) => s[c]) }))));
  return tf.concat(chunks, 0);
}

/** One customGrad op over the whole batch (see recurrentSequenceWebGpu). */
function sequenceOp(backend: WebGpuBackendLike, cell: 'lstm' | 'gru', x: tf.Tensor3D, directions: WebGpuDirection[]): tf.Tensor3D {
  const [batch, time, inputSize] = x.shape;
  const units = directions[0].recurrentKernel.shape[0];
  const D = directions.length;
  const G = GATES[cell] * units;
  const nStates = cell === 'lstm' ? 2 : 1;
  const dims: SequenceDims = { cell, batch, time, units, reverse: directions.map((d) => d.reverse) };
  const forwardSteps = Array.from({ length: time }, (_, s) => s);
  const backwardSteps = [...forwardSteps].reverse();
  const tiled = webgpuStep(units, backend.device.limits, { workgroupBytes: TILED_WORKGROUP_BYTES, threads: TILED_THREADS }) === 'tiled';

  const run = tf.customGrad(((...args: unknown[]) => {
    const t = args.slice(0, -1) as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xIn = t[0] as tf.Tensor3D;
    const per = directions.map((_, d) => t.slice(1 + d * (nStates + 3), 1 + (d + 1) * (nStates + 3)));
    const states = Array.from({ length: nStates }, (_, k) => tf.stack(per.map((p) => p[k]))); // [D, B, U]
    const kernels = per.map((p) => p[nStates] as tf.Tensor2D);
    const kernelAll = tf.concat(kernels, 1); // [I, D*G]
    const biasAll = tf.concat(per.map((p) => p[nStates + 2]), 0);
    const recurrentAll = tf.stack(per.map((p) => p[nStates + 1])); // [D, U, G]
    const xRows = tf.reshape(xIn, [batch * time, inputSize]);
    const projected = tf.matMul(xRows, kernelAll);
    const trace = cell === 'lstm'
      ? runSteps(backend, [tiled ? new LstmForwardStepTiled(dims) : new LstmForwardStep(dims)], [[projected, biasAll, recurrentAll, states[0], states[1]]], forwardSteps)
      : runSteps(backend, tiled ? [new GruForwardGatesTiled(dims), new GruForwardStateTiled(dims)] : [new GruForwardGates(dims), new GruForwardState(dims)],
        [[projected, biasAll, recurrentAll, states[0]], [projected, biasAll, recurrentAll]], forwardSteps);
    const value = tf.reshape(tf.slice(trace, [0, 0, 0, 0], [batch, time, D, units]), [batch, time, D * units]);
    save([trace, xRows, kernelAll, recurrentAll]);

    const gradFunc = (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
      const [traceS, xRowsS, kernelAllS, recurrentS] = saved;
      const dY = tf.reshape(dy, [batch, time, D, units]);
      const recurrentT = tf.transpose(recurrentS, [0, 2, 1]); // [D, G, U]
      const grad = cell === 'lstm'
        ? runSteps(backend, [tiled ? new LstmBackwardStepTiled(dims) : new LstmBackwardStep(dims)], [[traceS, dY, recurrentT]], backwardSteps)
        : runSteps(backend, tiled ? [new GruBackwardGatesTiled(dims), new GruBackwardResetTiled(dims)] : [new GruBackwardGates(dims), new GruBackwardReset(dims)],
          [[traceS, dY, recurrentT], [traceS, recurrentT]], backwardSteps);
      const dStates = runOnce(backend, cell === 'lstm' ? new LstmStateGrad(dims) : new GruStateGrad(dims), [traceS, grad, recurrentT]);
      const dStatesPerKind = cell === 'lstm' ? tf.unstack(dStates) : [dStates]; // each [D, B, U]
      const dStatePerDirection = dStatesPerKind.map((s) => tf.unstack(s));
      const dz = tf.reshape(tf.slice(grad, [0, 0, 0, 0], [batch, time, D, G]), [batch * time, D * G]);
      const dx = tf.reshape(tf.matMul(dz, kernelAllS, false, true), [batch, time, inputSize]);
      const dKernels = tf.split(tf.matMul(xRowsS, dz, true, false), D, 1);
      const dBiases = tf.split(tf.sum(dz, 0), D, 0);
      // One direction's field of the trace or of the gradient buffer as [batch * time, n] rows.
      const field = (source: tf.Tensor, d: number, offset: number, n: number) =>
        tf.reshape(tf.slice(source, [0, 0, d, offset], [batch, time, 1, n]), [batch * time, n]);
      const dRecurrent = directions.map((_, d) => {
        const dzD = field(grad, d, 0, G);
        if (cell === 'lstm') return tf.matMul(field(traceS, d, 6 * units, units), dzD, true, false);
        const [dzZr, dzH] = tf.split(dzD, [2 * units, units], 1);
        return tf.concat([
          tf.matMul(field(traceS, d, 4 * units, units), dzZr, true, false),
          tf.matMul(field(traceS, d, 5 * units, units), dzH, true, false),
        ], 1);
      });
      const perDirection = directions.flatMap((_, d) => [
        ...dStatePerDirection.map((s) => s[d]), dKernels[d], dRecurrent[d], dBiases[d],
      ]);
      return [dx, ...perDirection];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const inputs = directions.flatMap((d) => [...d.states, d.kernel, d.recurrentKernel, d.bias]);
  return run(x, ...inputs) as tf.Tensor3D;
}
