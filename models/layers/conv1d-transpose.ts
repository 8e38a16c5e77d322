/**
 * 1-D transposed convolution, stride 1, 'same' padding: the adjoint of a 'same' Conv1D, i.e. the
 * im2col product with the taps reversed. 'valid' padding (PyTorch's padding=0, T -> T + k - 1) is
 * the 'same' one of the input with floor((k - 1) / 2) zero rows before it and floor(k / 2) after.
 * Kernel in Keras' Conv1DTranspose layout [k, filters, in].
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { convAlongTime, layerKernels } from '../native/index.ts';
import { activate, type ActivationName } from './activation.ts';
import { matMul } from './mat-mul.ts';
import { featureSize, singleInput, singleShape, type BaseLayerArgs } from './layer-args.ts';
import { checkConvPadding, padForValidTranspose, sameOffsets, shiftedWindows, type ConvPadding } from './shifted-windows.ts';

export interface Conv1DTransposeArgs extends BaseLayerArgs {
  filters: number;
  kernelSize: number;
  /** 'same' keeps the length; 'valid' (PyTorch's padding=0) adds k - 1 rows. Default 'same'. */
  padding?: ConvPadding;
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Seed of the Glorot-uniform kernel initialiser (bias starts at 0). */
  seed: number;
}

/** What a transposed convolution along time computes besides its weights. */
export interface TransposeConvOptions {
  kernelSize: number;
  padding: ConvPadding;
  activation: ActivationName;
}

/**
 * The layer's computation: the transposed convolution of x [B, T, in] with kernel [k, filters, in]
 * plus bias, then the activation (also the conv block's last convolution).
 */
export function transposeConvolveAlongTime(input: tf.Tensor3D, kernel: tf.Tensor3D, bias: tf.Tensor1D, o: TransposeConvOptions): tf.Tensor3D {
  const forward = sameOffsets(o.kernelSize);
  const x = o.padding === 'valid' ? padForValidTranspose(input, forward) : input;
  const [batch, time, channels] = x.shape;
  const filters = kernel.shape[1];
  // Forward 'same' conv reads x[t + o_j] with tap j; its adjoint writes back, i.e. reads x[t - o_j].
  const offsets = forward.map((o) => -o);
  const kernels = layerKernels();
  if (kernels) {
    const relu = o.activation === 'relu';
    const taps = tf.transpose(kernel, [0, 2, 1]) as tf.Tensor3D;
    const y = convAlongTime(kernels, x, taps, bias, offsets, relu);
    return relu ? y : (activate(y, o.activation) as tf.Tensor3D);
  }
  const columns = shiftedWindows(x, offsets);
  const width = o.kernelSize * channels;
  const taps = tf.reshape(tf.transpose(kernel, [0, 2, 1]), [width, filters]);
  const y = matMul(tf.reshape(columns, [batch * time, width]), taps).add(bias);
  return activate(tf.reshape(y, [batch, time, filters]), o.activation) as tf.Tensor3D;
}

export class Conv1DTranspose extends tf.layers.Layer {
  static className = 'TidalConv1DTranspose';
  readonly filters: number;
  readonly kernelSize: number;
  readonly padding: ConvPadding;
  readonly activation: ActivationName;
  readonly seed: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(args: Conv1DTransposeArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.padding = checkConvPadding(args.padding ?? 'same', this.name);
    this.activation = args.activation ?? 'linear';
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = featureSize(singleShape(inputShape, this.name), this.name);
    this.kernel = this.addWeight(
      'kernel',
      [this.kernelSize, this.filters, channels],
      'float32',
      tf.initializers.glorotUniform({ seed: deriveSeed(this.seed, 'kernel') }),
    );
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    const time = shape[shape.length - 2];
    const span = this.padding === 'valid' ? this.kernelSize - 1 : 0;
    return [...shape.slice(0, -2), time === null ? null : time + span, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => transposeConvolveAlongTime(singleInput(inputs, this.name) as tf.Tensor3D, this.kernel.read() as tf.Tensor3D, this.bias.read() as tf.Tensor1D, this));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      padding: this.padding,
      activation: this.activation,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(Conv1DTranspose);

export function conv1dTranspose(args: Conv1DTransposeArgs): Conv1DTranspose {
  return new Conv1DTranspose(args);
}
