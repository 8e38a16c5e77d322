/**
 * Every custom layer a model can be built from, by its serialised class name, with small
 * examples: the layer contract tests (shape, config round trip through the registered class,
 * one training step) loop over this registry, so a new layer is tested once it is listed here.
 */
import type * as tf from '@tensorflow/tfjs';
import { createRegistry } from '../../core/index.ts';
import { FusedRecurrent, recurrent } from '../recurrence/index.ts';
import { Conv1DIm2col, conv1dIm2col } from './conv1d-im2col.ts';
import { Conv1DTranspose, conv1dTranspose } from './conv1d-transpose.ts';
import { ConvTransformerBlock, convTransformerBlock } from './conv-transformer-block.ts';
import { Dense, dense } from './dense.ts';
import { LayerNorm, layerNorm } from './layer-norm.ts';
import { MultiHeadAttention, multiHeadAttention } from './multi-head-attention.ts';
import { TransformerEncoderLayer, transformerEncoderLayer } from './transformer-encoder-layer.ts';

/** A small instance of a layer and the shapes it maps between ([batch, time, features] in and out). */
export interface LayerExample {
  label: string;
  make(): tf.layers.Layer;
  inputShape: [number, number, number];
  outputFeatures: number;
  /** Time steps of the output when they differ from the input's ('valid' convolutions). */
  outputSteps?: number;
}

export interface RegisteredLayer {
  /** The class name it is serialised under (model.json). */
  name: string;
  examples: LayerExample[];
}

export const layerRegistry = createRegistry<RegisteredLayer>('layer');

const io = { inputShape: [2, 9, 4] as [number, number, number] };
layerRegistry.register({
  name: Dense.className,
  examples: [{ label: 'swish', make: () => dense({ units: 7, activation: 'swish', seed: 6 }), ...io, outputFeatures: 7 }],
});
layerRegistry.register({
  name: Conv1DIm2col.className,
  examples: [
    { label: 'k3', make: () => conv1dIm2col({ filters: 5, kernelSize: 3, activation: 'relu', seed: 1 }), ...io, outputFeatures: 5 },
    { label: 'k4 dilation 2', make: () => conv1dIm2col({ filters: 3, kernelSize: 4, dilation: 2, seed: 2 }), ...io, outputFeatures: 3 },
    {
      label: 'k4 valid relu',
      make: () => conv1dIm2col({ filters: 3, kernelSize: 4, padding: 'valid', activation: 'relu', seed: 2 }),
      ...io,
      outputFeatures: 3,
      outputSteps: 6,
    },
  ],
});
layerRegistry.register({
  name: Conv1DTranspose.className,
  examples: [
    { label: 'k5', make: () => conv1dTranspose({ filters: 6, kernelSize: 5, seed: 3 }), ...io, outputFeatures: 6 },
    { label: 'k4 valid', make: () => conv1dTranspose({ filters: 6, kernelSize: 4, padding: 'valid', seed: 3 }), ...io, outputFeatures: 6, outputSteps: 12 },
  ],
});
layerRegistry.register({
  name: LayerNorm.className,
  examples: [{ label: 'eps 1e-3', make: () => layerNorm({ epsilon: 1e-3 }), ...io, outputFeatures: 4 }],
});
layerRegistry.register({
  name: MultiHeadAttention.className,
  examples: [{ label: '2 heads', make: () => multiHeadAttention({ heads: 2, keyDim: 3, seed: 4 }), ...io, outputFeatures: 4 }],
});
layerRegistry.register({
  name: TransformerEncoderLayer.className,
  examples: [
    {
      label: 'gelu 0.7',
      make: () => transformerEncoderLayer({ heads: 2, keyDim: 3, ffnUnits: 8, activation: 'gelu', residualWeight: 0.7, seed: 5 }),
      ...io,
      outputFeatures: 4,
    },
  ],
});
layerRegistry.register({
  name: ConvTransformerBlock.className,
  examples: [
    {
      label: 'k3, 2 heads',
      make: () => convTransformerBlock({ kernelSize: 3, heads: 2, keyDim: 2, ffnUnits: 6, seeds: { conv: 1, encoder: 2, deconv: 3 } }),
      ...io,
      outputFeatures: 4,
    },
  ],
});
layerRegistry.register({
  name: FusedRecurrent.className,
  examples: [
    { label: 'bidirectional LSTM', make: () => recurrent({ cell: 'lstm', units: 3, direction: 'bidirectional', returnSequences: true, seed: 9 }), ...io, outputFeatures: 6 },
    { label: 'reverse GRU', make: () => recurrent({ cell: 'gru', units: 5, direction: 'reverse', returnSequences: true, seed: 10 }), ...io, outputFeatures: 5 },
  ],
});
