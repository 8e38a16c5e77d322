/**
 * 1-D convolution along time with 'same' padding (or 'valid': only the rows where the whole kernel
 * lies inside the sequence, the centre of the 'same' result), computed as im2col: shifted copies of
 * the input concatenated along features, then one matMul. Unlike tf.layers.conv1d it trains on the
 * wasm backend (no Conv2DBackpropFilter) and is fast on cpu. The kernel keeps Keras' [k, in,
 * filters] layout, so weights are interchangeable with tf.layers.conv1d. On cpu/wasm with the
 * native addon the whole layer (relu included) is one native kernel forward and one backward.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { convAlongTime, layerKernels } from '../native/index.ts';
import { activate, type ActivationName } from './activation.ts';
import { matMul } from './mat-mul.ts';
import { featureSize, singleInput, singleShape, type BaseLayerArgs } from './layer-args.ts';
import { checkConvPadding, sameOffsets, shiftedWindows, validRows, type ConvPadding } from './shifted-windows.ts';

export interface Conv1DIm2colArgs extends BaseLayerArgs {
  filters: number;
  kernelSize: number;
  /** Spacing between kernel taps. Default 1. */
  dilation?: number;
  /** 'same' keeps the length; 'valid' (PyTorch's padding=0) drops dilation * (k - 1) rows. Default 'same'. */
  padding?: ConvPadding;
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Seed of the Glorot-uniform kernel initialiser (bias starts at 0). */
  seed: number;
}

/** What a convolution along time computes besides its weights. */
export interface ConvAlongTimeOptions {
  kernelSize: number;
  dilation: number;
  padding: ConvPadding;
  activation: ActivationName;
  /** For errors. */
  name: string;
}

/**
 * The layer's computation: x [B, T, in] convolved with kernel [k, in, filters] plus bias, then the
 * activation (also the conv block's first step). One native kernel where the addon runs.
 */
export function convolveAlongTime(x: tf.Tensor3D, kernel: tf.Tensor3D, bias: tf.Tensor1D, o: ConvAlongTimeOptions): tf.Tensor3D {
  const offsets = sameOffsets(o.kernelSize, o.dilation);
  // 'valid' rows are the 'same' rows whose taps all read inside the sequence.
  const valid = (y: tf.Tensor3D) => (o.padding === 'valid' ? validRows(y, offsets, o.name) : y);
  const kernels = layerKernels();
  if (kernels) {
    const relu = o.activation === 'relu';
    const y = convAlongTime(kernels, x, kernel, bias, offsets, relu);
    return valid(relu ? y : (activate(y, o.activation) as tf.Tensor3D));
  }
  const [batch, time, channels] = x.shape;
  const filters = kernel.shape[2];
  const columns = shiftedWindows(x, offsets);
  const width = o.kernelSize * channels;
  const y = tf.add(matMul(tf.reshape(columns, [batch * time, width]), tf.reshape(kernel, [width, filters])), bias);
  return valid(activate(tf.reshape(y, [batch, time, filters]), o.activation) as tf.Tensor3D);
}

export class Conv1DIm2col extends tf.layers.Layer {
  static className = 'TidalConv1DIm2col';
  readonly filters: number;
  readonly kernelSize: number;
  readonly dilation: number;
  readonly padding: ConvPadding;
  readonly activation: ActivationName;
  readonly seed: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(args: Conv1DIm2colArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.dilation = args.dilation ?? 1;
    this.padding = checkConvPadding(args.padding ?? 'same', this.name);
    this.activation = args.activation ?? 'linear';
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = featureSize(singleShape(inputShape, this.name), this.name);
    this.kernel = this.addWeight(
      'kernel',
      [this.kernelSize, channels, this.filters],
      'float32',
      tf.initializers.glorotUniform({ seed: deriveSeed(this.seed, 'kernel') }),
    );
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape, this.name);
    const time = shape[shape.length - 2];
    const span = this.padding === 'valid' ? this.dilation * (this.kernelSize - 1) : 0;
    return [...shape.slice(0, -2), time === null ? null : time - span, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => convolveAlongTime(singleInput(inputs, this.name) as tf.Tensor3D, this.kernel.read() as tf.Tensor3D, this.bias.read() as tf.Tensor1D, this));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      dilation: this.dilation,
      padding: this.padding,
      activation: this.activation,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(Conv1DIm2col);

export function conv1dIm2col(args: Conv1DIm2colArgs): Conv1DIm2col {
  return new Conv1DIm2col(args);
}
