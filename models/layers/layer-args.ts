/** Small shared pieces of the custom layers' plumbing. */
import * as tf from '@tensorflow/tfjs';

/** tfjs-layers' base LayerArgs (name, trainable, inputShape...), which tfjs does not export by name. */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** The one input tensor of a single-input layer. */
export function singleInput<T extends tf.Tensor>(inputs: T | T[], layer: string): T {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length !== 1) throw new Error(`${layer}: expected one input tensor, got ${inputs.length}`);
  return inputs[0];
}

/** The single input shape of a layer given shapes as build() receives them. */
export function singleShape(inputShape: tf.Shape | tf.Shape[], layer: string): tf.Shape {
  const shape = Array.isArray(inputShape[0]) ? (inputShape as tf.Shape[]) : [inputShape as tf.Shape];
  if (shape.length !== 1) throw new Error(`${layer}: expected one input shape, got ${shape.length}`);
  return shape[0];
}

/** The feature (last) dimension, which must be known to build weights. */
export function featureSize(shape: tf.Shape, layer: string): number {
  const d = shape[shape.length - 1];
  if (d == null) throw new Error(`${layer}: the last input dimension must be known, got shape [${shape.join(', ')}]`);
  return d;
}

/** tfjs-layers' Initializer class, which tfjs does not export by name. */
export type Initializer = ReturnType<typeof tf.initializers.ones>;
