import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../models/backend.ts';
import {
  conv1dIm2col,
  conv1dTranspose,
  dense,
  layerNorm,
  matMul,
  multiHeadAttention,
  transformerEncoderLayer,
} from '../../models/layers/index.ts';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const LAYERS: { name: string; make: () => tf.layers.Layer; outputFeatures: number }[] = [
  { name: 'Dense', make: () => dense({ units: 5, activation: 'selu', seed: 1 }), outputFeatures: 5 },
  { name: 'Conv1DIm2col', make: () => conv1dIm2col({ filters: 5, kernelSize: 3, dilation: 2, activation: 'relu', seed: 2 }), outputFeatures: 5 },
  { name: 'Conv1DTranspose', make: () => conv1dTranspose({ filters: 5, kernelSize: 4, seed: 3 }), outputFeatures: 5 },
  { name: 'LayerNorm', make: () => layerNorm(), outputFeatures: 6 },
  { name: 'MultiHeadAttention', make: () => multiHeadAttention({ heads: 2, keyDim: 3, seed: 4 }), outputFeatures: 6 },
  {
    name: 'TransformerEncoderLayer',
    make: () => transformerEncoderLayer({ heads: 3, keyDim: 2, ffnUnits: 8, activation: 'gelu', residualWeight: 0.7, seed: 5 }),
    outputFeatures: 6,
  },
  {
    // relu and no dropout: the whole layer is one native op (models/native/transformer-encoder-op.ts).
    name: 'TransformerEncoderLayer relu',
    make: () => transformerEncoderLayer({ heads: 2, keyDim: 4, ffnUnits: 8, seed: 6 }),
    outputFeatures: 6,
  },
];

before(async () => {
  await selectBackend('wasm');
});

describe('matMul on wasm (explicit-transpose gradient)', () => {
  for (const [aShape, bShape] of [[[7, 5], [5, 3]], [[4, 6, 5], [4, 5, 2]]] as const) {
    it(`gives tf.matMul's value and gradients for [${aShape}] x [${bShape}]`, () => {
      assert.equal(tf.getBackend(), 'wasm');
      const a = tf.randomNormal([...aShape], 0, 1, 'float32', 1);
      const b = tf.randomNormal([...bShape], 0, 1, 'float32', 2);
      const weight = tf.randomNormal([...aShape.slice(0, -1), bShape[bShape.length - 1]], 0, 1, 'float32', 3);
      const loss = (mm: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(mm(x, y), weight));
      const ours = tf.grads(loss(matMul))([a, b]);
      const stock = tf.grads(loss((x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)))([a, b]);
      assert.ok(maxAbsDiff(matMul(a, b).dataSync(), tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D).dataSync()) < 1e-5);
      ours.forEach((g, i) => assert.ok(maxAbsDiff(g.dataSync(), stock[i].dataSync()) < 1e-5, `gradient ${i}`));
    });
  }

  it('rejects mixed ranks', () => {
    assert.throws(() => matMul(tf.ones([2, 3]), tf.ones([1, 3, 2])), /rank-2 or two rank-3/);
  });
});

describe('custom layers on wasm', () => {
  for (const c of LAYERS) {
    it(`${c.name}: trains a step (finite non-zero gradients) and matches the cpu backend`, async () => {
      await selectBackend('wasm');
      const layer = c.make();
      const x = tf.randomNormal([3, 10, 6], 0, 1, 'float32', 7);
      const target = tf.randomNormal([3, 10, c.outputFeatures], 0, 1, 'float32', 8);
      const loss = () => tf.mean(tf.abs(tf.sub(layer.apply(x) as tf.Tensor, target))) as tf.Scalar;
      const wasmOutput = (layer.apply(x) as tf.Tensor).dataSync().slice();
      const before = loss().dataSync()[0];
      const { value, grads } = tf.variableGrads(loss);
      value.dispose();
      for (const [name, g] of Object.entries(grads)) {
        const values = g.dataSync();
        assert.ok(values.every(Number.isFinite) && values.some((v) => v !== 0), `${name}: finite, non-zero`);
      }
      const weightsBefore = layer.getWeights().map((w) => w.dataSync().slice());
      tf.train.sgd(0.05).applyGradients(grads);
      assert.ok(loss().dataSync()[0] < before, 'loss went down');

      layer.setWeights(weightsBefore.map((w, i) => tf.tensor(w, layer.getWeights()[i].shape)));
      await tf.setBackend('cpu');
      const cpuOutput = (layer.apply(x) as tf.Tensor).dataSync();
      assert.ok(maxAbsDiff(wasmOutput, cpuOutput) < 1e-4, 'wasm and cpu forward agree');
      await selectBackend('wasm');
    });
  }
});
