/**
 * The models `npm run bench:train` times, one entry a case.
 *
 * Other helpers append their cases here (the model zoo adds "3-layer Conv1D" and "Transformer
 * encoder block"): give each a unique `name`, a `build()` that returns an uncompiled model taking
 * [batch, ...inputShape], and, where bench/train_torch.py has the same structure, its `torchName`
 * (see TORCH_MODELS there) so the bench prints ours/PyTorch. Set `fusedRecurrence` when the model
 * uses recurrent() (models/recurrence): the bench then times it once per recurrence path.
 */
import * as tf from '@tensorflow/tfjs';
import { dense } from '../models/layers/dense.ts';
import { recurrent } from '../models/recurrence/index.ts';
import { conv1dIm2col } from '../models/layers/conv1d-im2col.ts';
import { transformerEncoderLayer } from '../models/layers/transformer-encoder-layer.ts';
import { getModel } from '../models/registry.ts';
import { AdamOptimizer } from '../models/training/index.ts';
import { ROWS_PER_BREATH } from '../dataset/index.ts';

export interface BenchCase {
  name: string;
  description: string;
  build(): tf.LayersModel;
  /** Shape of one sequence, without the batch axis. */
  inputShape: number[];
  /** Model of the same structure in bench/train_torch.py, when there is one. */
  torchName?: string;
  /** Uses the fused recurrent layers: timed once with native kernels and once with tf ops. */
  fusedRecurrence?: boolean;
  /** Uses the custom conv/attention/LayerNorm layers: timed once with native kernels and once with tf ops. */
  nativeLayers?: boolean;
  /** Timed batches (after warm-up); fewer for very slow cases. Default 8. */
  batches?: number;
  /** Sequences a batch. Default 256. */
  batch?: number;
  /** The same structure at test size (bench:train --tiny, the device check's --cpu-check). */
  buildSmall?(): tf.LayersModel;
}

const SEQUENCE: number[] = [80, 12];

/** Stock tfjs-layers BiLSTM stack, the reference of ENGINEERING.md. */
function stockBiLstm(units: number[], dense: { units: number; activation?: 'selu' }[]): tf.LayersModel {
  const model = tf.sequential();
  units.forEach((u, i) => {
    model.add(
      tf.layers.bidirectional({
        layer: tf.layers.lstm({ units: u, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN,
        mergeMode: 'concat',
        ...(i === 0 ? { inputShape: SEQUENCE } : {}),
      }),
    );
  });
  for (const d of dense) model.add(tf.layers.dense(d));
  model.add(tf.layers.dense({ units: 1 }));
  return model;
}

/** The same stack from the project's layers (fused recurrence, Dense without flagged matMuls). */
function fusedBiLstm(units: number[], head: { units: number; activation?: 'selu' }[]): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: SEQUENCE }));
  units.forEach((u, i) => {
    model.add(recurrent({ cell: 'lstm', units: u, returnSequences: true, direction: 'bidirectional', seed: 7 + i }));
  });
  head.forEach((d, i) => model.add(dense({ ...d, seed: 100 + i })));
  model.add(dense({ units: 1, seed: 200 }));
  return model;
}

const REFERENCE_DENSE = [{ units: 32 }];
/** The public BiLSTM recipe (1024/512/256/128 -> Dense 128 selu) scaled down by 8. */
const PUBLIC_UNITS = [128, 64, 32, 16];
const PUBLIC_DENSE = [{ units: 16, activation: 'selu' as const }];

export const BENCH_CASES: BenchCase[] = [
  {
    name: 'bilstm-stock',
    description: 'tfjs-layers 2 x Bidirectional(LSTM 64) + Dense 32 + Dense 1',
    build: () => stockBiLstm([64, 64], REFERENCE_DENSE),
    inputShape: SEQUENCE,
    torchName: 'bilstm-64-64',
    batches: 2,
  },
  {
    name: 'bilstm-fused',
    description: 'fused 2 x BiLSTM 64 + Dense 32 + Dense 1 (models/layers)',
    build: () => fusedBiLstm([64, 64], REFERENCE_DENSE),
    inputShape: SEQUENCE,
    torchName: 'bilstm-64-64',
    fusedRecurrence: true,
  },
  {
    name: 'bilstm-public-small',
    description: 'fused BiLSTM 128/64/32/16 + Dense 16 selu + Dense 1 (public recipe / 8)',
    build: () => fusedBiLstm(PUBLIC_UNITS, PUBLIC_DENSE),
    inputShape: SEQUENCE,
    torchName: 'bilstm-public-small',
    fusedRecurrence: true,
  },
];

/** 3 x Conv1D(64, kernel 3, same, relu) as im2col layers, then Dense(1) per step. */
function im2colConvStack(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: SEQUENCE }));
  for (let i = 0; i < 3; i++) model.add(conv1dIm2col({ filters: 64, kernelSize: 3, activation: 'relu', seed: 30 + i }));
  model.add(dense({ units: 1, seed: 33 }));
  return model;
}

/** Dense(64), one post-norm encoder layer (4 heads of 16, FFN 128 relu), Dense(1): PyTorch's defaults. */
function encoderBlock(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: SEQUENCE }));
  model.add(dense({ units: 64, seed: 39 }));
  model.add(transformerEncoderLayer({ heads: 4, keyDim: 16, ffnUnits: 128, activation: 'relu', seed: 40 }));
  model.add(dense({ units: 1, seed: 41 }));
  return model;
}

BENCH_CASES.push(
  {
    name: 'conv1d-im2col',
    description: '3-layer Conv1D (im2col): 3 x Conv1D(64, k3, relu) + Dense 1',
    build: im2colConvStack,
    inputShape: SEQUENCE,
    torchName: 'conv1d-3x64',
    nativeLayers: true,
  },
  {
    name: 'transformer-block',
    description: 'one Transformer encoder block: Dense 64, self-attention 4 heads + FFN 128, LayerNorm, Dense 1',
    build: encoderBlock,
    inputShape: SEQUENCE,
    torchName: 'transformer-block',
    nativeLayers: true,
  },
);

/** Input widths of the kaggle preset's feature sets ('public', 'raw'), as features/ builds them. */
const PUBLIC_FEATURES = 50;
const RAW_FEATURES = 9;

/** A registered model at its full (kaggle preset) size, and its small variant for --tiny. */
function registered(name: string, features: number): Pick<BenchCase, 'build' | 'buildSmall' | 'inputShape'> {
  const definition = getModel(name);
  return {
    build: () => definition.build(definition.defaults, features, 7),
    buildSmall: () => definition.build(definition.small, features, 7),
    inputShape: [ROWS_PER_BREATH, features],
  };
}

// The kaggle preset's models at its batch sizes (pipeline/presets/kaggle.json).
BENCH_CASES.push(
  {
    name: 'kaggle-bilstm',
    description: "kaggle preset's bilstm: BiLSTM 1024/512/256/128 + Dense 128 selu + Dense 1, 50 features, batch 512",
    ...registered('bilstm', PUBLIC_FEATURES),
    torchName: 'kaggle-bilstm',
    fusedRecurrence: true,
    batch: 512,
    batches: 3,
  },
  {
    name: 'kaggle-lstm-raw',
    description: "kaggle preset's lstm-raw: 4 x BiLSTM 512 + Dense 512 swish + Dense 2, 9 features, batch 512",
    ...registered('lstm-raw', RAW_FEATURES),
    torchName: 'kaggle-lstm-raw',
    fusedRecurrence: true,
    batch: 512,
    batches: 3,
  },
  {
    name: 'kaggle-lstm-cnn-transformer',
    description: "kaggle preset's lstm-cnn-transformer (width 256, 3 BiLSTM 256 blocks, conv-transformer k 5/3/1), 50 features, batch 128",
    ...registered('lstm-cnn-transformer', PUBLIC_FEATURES),
    torchName: 'kaggle-lstm-cnn-transformer',
    fusedRecurrence: true,
    batch: 128,
    batches: 3,
  },
);

/**
 * The pipeline's training step (models/training/fit-fold.ts) on one batch: MAE, gradients of every
 * trainable variable, then its own Adam. The loss stays on the device: `lastLoss()` is the latest
 * step's, and reading it waits for every step queued before it.
 */
export function trainingStep(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): { step(): void; lastLoss(): tf.Tensor } {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new AdamOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, variables);
  let pending: tf.Tensor | null = null;
  return {
    step() {
      pending?.dispose();
      pending = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(tf.abs(tf.sub(model.apply(x, { training: true }) as tf.Tensor, y))) as tf.Scalar, variables);
        optimizer.apply(variables.map((v) => grads[v.name]), 1e-3);
        return value;
      });
    },
    lastLoss() {
      if (!pending) throw new Error('trainingStep: no step has run yet');
      return pending;
    },
  };
}
