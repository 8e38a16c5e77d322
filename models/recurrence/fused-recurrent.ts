/**
 * FusedRecurrent: an LSTM or GRU layer (forward, reverse or bidirectional) that runs the whole
 * sequence as one custom-gradient op instead of tfjs-layers' per-step RNN loop.
 *
 * - Weights are named and shaped like tfjs-layers' (kernel [in, gates*u], recurrent_kernel
 *   [u, gates*u], bias [gates*u]; gate order i, f, c, o for LSTM and z, r, h for GRU), forward
 *   direction first, so getWeights()/setWeights() match a stock LSTM/GRU or Bidirectional.
 * - Gates use sigmoid, candidate/cell tanh (Keras/PyTorch; not tfjs's hardSigmoid default).
 * - Reverse and bidirectional outputs are in input time order (as Bidirectional returns them);
 *   with returnSequences false each direction gives its last processed step.
 * - Initial states: with `initialState: true` the layer is called on
 *   [x, h0, c0] (LSTM) or [x, h0] (GRU), one such group a direction (forward first), each state
 *   [batch, units]. A "conditional initial state" from static per-breath inputs is then a Dense
 *   layer on those inputs feeding these states; without it states start at zero.
 * - Computation path: WGSL kernels on webgpu, native kernels on cpu/wasm when built, else tf ops
 *   (recurrence-path.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { gruSequenceOps } from './gru-ops.ts';
import { lstmSequenceOps } from './lstm-ops.ts';
import { bidirectionalSequenceNative, gruSequenceNative, lstmSequenceNative } from './native-sequence.ts';
import { loadNativeKernels } from './native.ts';
import { recurrencePath } from './recurrence-path.ts';
import { glorotUniform, orthogonal } from './seeded-init.ts';
import { recurrentSequenceWebGpu } from './webgpu-sequence.ts';

export type RecurrentCell = 'lstm' | 'gru';
export type RecurrentDirection = 'forward' | 'reverse' | 'bidirectional';

type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface FusedRecurrentArgs extends BaseLayerArgs {
  cell: RecurrentCell;
  units: number;
  /** Default 'forward'. */
  direction?: RecurrentDirection;
  /** How bidirectional outputs combine. Default 'concat'. */
  merge?: 'concat' | 'sum';
  /** Whole sequence [B, T, out] or only the last step [B, out]. Default false (Keras). */
  returnSequences?: boolean;
  /** Base seed of the initial weights; each direction and weight derives its own. */
  seed: number;
  /** Take initial states as extra inputs (see the file comment). Default false. */
  initialState?: boolean;
}

interface DirectionWeights {
  reverse: boolean;
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
}

const GATES: Record<RecurrentCell, number> = { lstm: 4, gru: 3 };
const STATES: Record<RecurrentCell, number> = { lstm: 2, gru: 1 };

export class FusedRecurrent extends tf.layers.Layer {
  static className = 'FusedRecurrent';
  readonly cell: RecurrentCell;
  readonly units: number;
  readonly direction: RecurrentDirection;
  readonly merge: 'concat' | 'sum';
  readonly returnSequences: boolean;
  readonly seed: number;
  readonly initialState: boolean;
  private directions: DirectionWeights[] = [];

  constructor(args: FusedRecurrentArgs) {
    super(args);
    this.cell = args.cell;
    this.units = args.units;
    this.direction = args.direction ?? 'forward';
    this.merge = args.merge ?? 'concat';
    this.returnSequences = args.returnSequences ?? false;
    this.seed = args.seed;
    this.initialState = args.initialState ?? false;
    if (!(this.cell in GATES)) throw new Error(`FusedRecurrent: cell must be 'lstm' or 'gru', got '${this.cell}'`);
    if (!Number.isInteger(this.units) || this.units <= 0) throw new Error(`FusedRecurrent: units must be a positive integer, got ${this.units}`);
  }

  private directionNames(): { label: string; reverse: boolean }[] {
    if (this.direction === 'bidirectional') return [{ label: 'forward', reverse: false }, { label: 'backward', reverse: true }];
    if (this.direction === 'reverse') return [{ label: 'backward', reverse: true }];
    return [{ label: 'forward', reverse: false }];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inputDim = xShape[xShape.length - 1];
    if (inputDim == null) throw new Error(`FusedRecurrent '${this.name}': the feature axis of the input must be known`);
    const width = GATES[this.cell] * this.units;
    const bidirectional = this.direction === 'bidirectional';
    this.directions = this.directionNames().map(({ label, reverse }) => {
      const prefix = bidirectional ? `${label}_${this.cell}/` : '';
      const weight = (name: string, shape: number[], values: Float32Array) => {
        const v = this.addWeight(`${prefix}${name}`, shape, 'float32', tf.initializers.zeros(), undefined, true);
        v.write(tf.tensor(values, shape));
        return v;
      };
      const bias = new Float32Array(width);
      // Keras unit_forget_bias: the forget-gate block starts at 1.
      if (this.cell === 'lstm') bias.fill(1, this.units, 2 * this.units);
      return {
        reverse,
        kernel: weight('kernel', [inputDim, width], glorotUniform(inputDim, width, deriveSeed(this.seed, label, 'kernel'))),
        recurrentKernel: weight('recurrent_kernel', [this.units, width],
          orthogonal(this.units, width, deriveSeed(this.seed, label, 'recurrent_kernel'))),
        bias: weight('bias', [width], bias),
      };
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = this.direction === 'bidirectional' && this.merge === 'concat' ? 2 * this.units : this.units;
    return this.returnSequences ? [xShape[0], xShape[1], out] : [xShape[0], out];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor3D;
      const nStates = STATES[this.cell];
      const expected = 1 + (this.initialState ? nStates * this.directions.length : 0);
      if (list.length !== expected) {
        throw new Error(`FusedRecurrent '${this.name}': expected ${expected} inputs (x${this.initialState ? ' and initial states' : ''}), got ${list.length}`);
      }
      const [batch, time] = x.shape;
      const path = recurrencePath();
      const kernels = path === 'native' ? loadNativeKernels() : null;
      const perDirection = this.directions.map((d, di) => ({
        states: this.initialState
          ? (list.slice(1 + di * nStates, 1 + (di + 1) * nStates) as tf.Tensor2D[])
          : Array.from({ length: nStates }, () => tf.zeros([batch, this.units]) as tf.Tensor2D),
        kernel: d.kernel.read() as tf.Tensor2D,
        recurrentKernel: d.recurrentKernel.read() as tf.Tensor2D,
        bias: d.bias.read() as tf.Tensor1D,
      }));
      if (path === 'webgpu') return this.mergeWebGpu(x, perDirection);
      if (kernels && perDirection.length === 2 && this.returnSequences) {
        return bidirectionalSequenceNative(kernels, this.cell, this.merge, x, perDirection[0], perDirection[1]);
      }
      const outs = this.directions.map((d, di) => {
        const { states, kernel: k, recurrentKernel: r, bias: b } = perDirection[di];
        const seq = this.cell === 'lstm'
          ? kernels
            ? lstmSequenceNative(kernels, x, states[0], states[1], k, r, b, d.reverse)
            : lstmSequenceOps(x, states[0], states[1], k, r, b, d.reverse)
          : kernels
            ? gruSequenceNative(kernels, x, states[0], k, r, b, d.reverse)
            : gruSequenceOps(x, states[0], k, r, b, d.reverse);
        if (this.returnSequences) return seq as tf.Tensor;
        const last = d.reverse ? 0 : time - 1;
        return tf.reshape(tf.slice(seq, [0, last, 0], [batch, 1, this.units]), [batch, this.units]);
      });
      if (outs.length === 1) return outs[0];
      return this.merge === 'sum' ? tf.add(outs[0], outs[1]) : tf.concat(outs, -1);
    });
  }

  /** All directions in one WGSL sequence op ([B, T, D*U], concat order), then merge / last step. */
  private mergeWebGpu(x: tf.Tensor3D, perDirection: { states: tf.Tensor2D[]; kernel: tf.Tensor2D; recurrentKernel: tf.Tensor2D; bias: tf.Tensor1D }[]): tf.Tensor {
    const [batch, time] = x.shape;
    const U = this.units;
    const seq = recurrentSequenceWebGpu(this.cell, x, perDirection.map((p, di) => ({ ...p, reverse: this.directions[di].reverse })));
    if (this.returnSequences) {
      const summed = this.directions.length === 2 && this.merge === 'sum';
      return summed ? tf.sum(tf.reshape(seq, [batch, time, 2, U]), 2) : seq;
    }
    // Each direction's last processed step.
    const outs = this.directions.map((d, di) =>
      tf.reshape(tf.slice(seq, [0, d.reverse ? 0 : time - 1, di * U], [batch, 1, U]), [batch, U]));
    if (outs.length === 1) return outs[0];
    return this.merge === 'sum' ? tf.add(outs[0], outs[1]) : tf.concat(outs, -1);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      cell: this.cell,
      units: this.units,
      direction: this.direction,
      merge: this.merge,
      returnSequences: this.returnSequences,
      seed: this.seed,
      initialState: this.initialState,
    };
  }
}
tf.serialization.registerClass(FusedRecurrent);

/** The recurrent layer every model builds from: `recurrent({ cell: 'lstm', units, direction, returnSequences, seed })`. */
export function recurrent(args: FusedRecurrentArgs): FusedRecurrent {
  return new FusedRecurrent(args);
}
