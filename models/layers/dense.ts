/**
 * A seeded per-step Dense: on [B, T, F] input it acts on every time step (Keras' TimeDistributed
 * Dense) as one matMul. Written as a custom layer rather than tf.layers.dense so that its gradient
 * goes through ./mat-mul.ts (no transpose-flagged products on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/seed.ts';
import { layerKernels, linear } from '../native/index.ts';
import { activate, type ActivationName } from './activation.ts';
import { matMul } from './mat-mul.ts';
import { featureSize, singleInput, singleShape, type BaseLayerArgs } from './layer-args.ts';

export interface DenseArgs extends BaseLayerArgs {
  units: number;
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Seed of the Glorot-uniform kernel initialiser (bias starts at 0). */
  seed: number;
}

export class Dense extends tf.layers.Layer {
  static className = 'TidalDense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly seed: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(args: DenseArgs) {
    super(args);
    this.units = args.units;
    this.activation = args.activation ?? 'linear';
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const features = featureSize(singleShape(inputShape, this.name), this.name);
    this.kernel = this.addWeight(
      'kernel',
      [features, this.units],
      'float32',
      tf.initializers.glorotUniform({ seed: deriveSeed(this.seed, 'kernel') }),
    );
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...singleShape(inputShape, this.name).slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleInput(inputs, this.name);
      const kernels = layerKernels();
      if (kernels) {
        const relu = this.activation === 'relu';
        const y = linear(kernels, x, this.kernel.read() as tf.Tensor2D, this.bias.read() as tf.Tensor1D, relu);
        return relu ? y : activate(y, this.activation);
      }
      const features = x.shape[x.rank - 1];
      const rows = tf.reshape(x, [-1, features]);
      const y = tf.add(matMul(rows, this.kernel.read()), this.bias.read());
      return activate(tf.reshape(y, [...x.shape.slice(0, -1), this.units]), this.activation);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, activation: this.activation, seed: this.seed };
  }
}
tf.serialization.registerClass(Dense);

export function dense(args: DenseArgs): Dense {
  return new Dense(args);
}
