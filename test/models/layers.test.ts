import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  Conv1DIm2col,
  Conv1DTranspose,
  ConvTransformerBlock,
  Dense,
  LayerNorm,
  MultiHeadAttention,
  TransformerEncoderLayer,
  conv1dIm2col,
  conv1dTranspose,
  dense,
  layerNorm,
  multiHeadAttention,
  transformerEncoderLayer,
  FusedRecurrent,
  layerRegistry,
  type LayerExample,
} from '../../models/layers/index.ts';

type Matrix = number[][];

/** Plain-JS references, written independently of the layers. */
const ref = {
  matmul(a: Matrix, b: Matrix): Matrix {
    return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
  },
  addRow(a: Matrix, bias: number[]): Matrix {
    return a.map((row) => row.map((v, j) => v + bias[j]));
  },
  layerNorm(a: Matrix, gamma: number[], beta: number[], eps: number): Matrix {
    return a.map((row) => {
      const mean = row.reduce((s, v) => s + v, 0) / row.length;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
      return row.map((v, j) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[j] + beta[j]);
    });
  },
  /** Self-attention of one sequence [T, D] with weights in MultiHeadAttention's order. */
  attention(x: Matrix, w: Matrix[] | number[][], heads: number, keyDim: number): Matrix {
    const [wq, bq, wk, bk, wv, bv, wo, bo] = w as [Matrix, number[], Matrix, number[], Matrix, number[], Matrix, number[]];
    const q = ref.addRow(ref.matmul(x, wq), bq);
    const k = ref.addRow(ref.matmul(x, wk), bk);
    const v = ref.addRow(ref.matmul(x, wv), bv);
    const context: Matrix = x.map(() => new Array(heads * keyDim).fill(0));
    for (let h = 0; h < heads; h++) {
      const cols = (m: Matrix) => m.map((row) => row.slice(h * keyDim, (h + 1) * keyDim));
      const [qh, kh, vh] = [cols(q), cols(k), cols(v)];
      for (let t = 0; t < x.length; t++) {
        const scores = kh.map((kr) => kr.reduce((s, kv, j) => s + kv * qh[t][j], 0) / Math.sqrt(keyDim));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((s, v) => s + v, 0);
        for (let j = 0; j < keyDim; j++) {
          context[t][h * keyDim + j] = e.reduce((s, p, u) => s + (p / z) * vh[u][j], 0);
        }
      }
    }
    return ref.addRow(ref.matmul(context, wo), bo);
  },
};

function assertClose(actual: tf.Tensor | number[], expected: number[], tol: number, what: string): void {
  const a = Array.isArray(actual) ? actual : Array.from(actual.dataSync());
  assert.equal(a.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - expected[i]));
  assert.ok(worst <= tol, `${what}: max abs difference ${worst} > ${tol}`);
}

function input(shape: [number, number, number], seed: number): tf.Tensor3D {
  return tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor3D;
}

interface LayerCase extends LayerExample {
  name: string;
}

const CASES: LayerCase[] = layerRegistry.list().flatMap((layer) => layer.examples.map((example) => ({ ...example, name: `${layer.name} ${example.label}` })));

before(async () => {
  await tf.setBackend('cpu');
});

describe('custom layer battery (cpu)', () => {
  it('covers every layer class models/ registers for serialisation', () => {
    const ours = [Conv1DIm2col, Conv1DTranspose, ConvTransformerBlock, Dense, LayerNorm, MultiHeadAttention, TransformerEncoderLayer, FusedRecurrent].map((c) => c.className);
    const serialisable = Object.keys(tf.serialization.SerializationMap.getMap().classNameMap).filter((name) => ours.includes(name));
    assert.deepEqual(serialisable.sort(), layerRegistry.names().sort());
  });

  for (const c of CASES) {
    describe(c.name, () => {
      it('builds, reports its output shape and matches it', () => {
        const layer = c.make();
        const x = input(c.inputShape, 11);
        const y = layer.apply(x) as tf.Tensor;
        const [b, t] = c.inputShape;
        const steps = c.outputSteps ?? t;
        assert.deepEqual(y.shape, [b, steps, c.outputFeatures]);
        assert.deepEqual(layer.computeOutputShape([null, t, c.inputShape[2]]), [null, steps, c.outputFeatures]);
        assert.ok(layer.trainableWeights.length > 0);
      });

      it('round-trips its config through the registered class, with identical seeded weights', () => {
        const layer = c.make();
        const x = input(c.inputShape, 12);
        const y = layer.apply(x) as tf.Tensor;
        const config = layer.getConfig();
        const className = (layer.constructor as unknown as { className: string }).className;
        const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
        assert.ok(entry, `${className} is registered`);
        const [cls, fromConfig] = entry;
        const clone = fromConfig(cls, JSON.parse(JSON.stringify(config))) as tf.layers.Layer;
        assert.deepEqual(clone.getConfig(), config);
        const y2 = clone.apply(x) as tf.Tensor;
        assert.deepEqual(Array.from(y2.dataSync()), Array.from(y.dataSync()));
      });

      it('one SGD step on its own output lowers a loss, with finite non-zero gradients', () => {
        const layer = c.make();
        const x = input(c.inputShape, 13);
        const target = input([c.inputShape[0], c.outputSteps ?? c.inputShape[1], c.outputFeatures], 14);
        const loss = () => tf.mean(tf.abs(tf.sub(layer.apply(x) as tf.Tensor, target))) as tf.Scalar;
        layer.apply(x);
        const before = loss().dataSync()[0];
        const { value, grads } = tf.variableGrads(loss);
        value.dispose();
        assert.equal(Object.keys(grads).length, layer.trainableWeights.length);
        for (const [name, g] of Object.entries(grads)) {
          const values = g.dataSync();
          assert.ok(values.every(Number.isFinite), `${name}: finite gradient`);
          assert.ok(values.some((v) => v !== 0), `${name}: non-zero gradient`);
        }
        tf.train.sgd(0.05).applyGradients(grads);
        assert.ok(loss().dataSync()[0] < before, 'loss went down');
      });
    });
  }
});

describe('Dense', () => {
  for (const activation of ['linear', 'relu', 'selu', 'swish', 'gelu'] as const) {
    it(`equals stock tf.layers.dense on [B, T, F] input (${activation})`, () => {
      const x = input([3, 7, 5], 81);
      const ours = dense({ units: 4, activation, seed: 16 });
      ours.apply(x);
      ours.setWeights([ours.getWeights()[0], tf.randomNormal([4], 0, 1, 'float32', 17)]);
      const stock = tf.layers.dense({ units: 4, activation });
      stock.apply(x);
      stock.setWeights(ours.getWeights());
      assertClose(ours.apply(x) as tf.Tensor, Array.from((stock.apply(x) as tf.Tensor).dataSync()), 1e-5, activation);
    });
  }
});

describe('Conv1DIm2col', () => {
  for (const [kernelSize, dilation] of [[1, 1], [2, 1], [3, 1], [5, 1], [3, 2], [4, 3]]) {
    it(`equals stock tf.layers.conv1d ('same') with kernel ${kernelSize}, dilation ${dilation}`, () => {
      const x = input([3, 11, 4], 21);
      const ours = conv1dIm2col({ filters: 6, kernelSize, dilation, seed: 7 });
      const y = ours.apply(x) as tf.Tensor;
      ours.setWeights([ours.getWeights()[0], tf.randomNormal([6], 0, 1, 'float32', 8)]);
      const yBiased = ours.apply(x) as tf.Tensor;
      const stock = tf.layers.conv1d({ filters: 6, kernelSize, dilationRate: dilation, padding: 'same' });
      stock.apply(x);
      stock.setWeights(ours.getWeights());
      assertClose(yBiased, Array.from((stock.apply(x) as tf.Tensor).dataSync()), 1e-5, 'conv1d');
      assert.deepEqual(y.shape, [3, 11, 6]);
    });
  }

  for (const [kernelSize, dilation] of [[1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [3, 2]]) {
    it(`'valid' equals stock tf.layers.conv1d ('valid') with kernel ${kernelSize}, dilation ${dilation}`, () => {
      const x = input([3, 11, 4], 22);
      const ours = conv1dIm2col({ filters: 6, kernelSize, dilation, padding: 'valid', seed: 7 });
      ours.apply(x);
      ours.setWeights([ours.getWeights()[0], tf.randomNormal([6], 0, 1, 'float32', 8)]);
      const y = ours.apply(x) as tf.Tensor;
      const stock = tf.layers.conv1d({ filters: 6, kernelSize, dilationRate: dilation, padding: 'valid' });
      stock.apply(x);
      stock.setWeights(ours.getWeights());
      const steps = 11 - dilation * (kernelSize - 1);
      assert.deepEqual(y.shape, [3, steps, 6]);
      assertClose(y, Array.from((stock.apply(x) as tf.Tensor).dataSync()), 1e-5, 'valid conv1d');
    });
  }

  it('rejects a padding other than same and valid', () => {
    assert.throws(() => conv1dIm2col({ filters: 2, kernelSize: 3, padding: 'causal' as never, seed: 1 }), /padding must be 'same' or 'valid'/);
  });
});

describe('Conv1DTranspose', () => {
  for (const kernelSize of [1, 2, 3, 5]) {
    it(`equals tf.conv2dTranspose (stride 1, 'same') with kernel ${kernelSize}`, () => {
      const x = input([2, 10, 3], 31);
      const layer = conv1dTranspose({ filters: 4, kernelSize, seed: 9 });
      layer.apply(x);
      const bias = tf.randomNormal([4], 0, 1, 'float32', 10);
      layer.setWeights([layer.getWeights()[0], bias]);
      const kernel = layer.getWeights()[0]; // [k, filters, in]
      const expected = tf
        .conv2dTranspose(
          tf.expandDims(x, 1) as tf.Tensor4D,
          tf.expandDims(kernel, 0) as tf.Tensor4D,
          [2, 1, 10, 4],
          1,
          'same',
        )
        .squeeze([1])
        .add(bias);
      assertClose(layer.apply(x) as tf.Tensor, Array.from(expected.dataSync()), 1e-5, 'conv1d transpose');
    });

    it(`'valid' equals tf.conv2dTranspose (stride 1, 'valid': T -> T + k - 1) with kernel ${kernelSize}`, () => {
      const x = input([2, 10, 3], 32);
      const layer = conv1dTranspose({ filters: 4, kernelSize, padding: 'valid', seed: 9 });
      layer.apply(x);
      const bias = tf.randomNormal([4], 0, 1, 'float32', 10);
      layer.setWeights([layer.getWeights()[0], bias]);
      const kernel = layer.getWeights()[0];
      const steps = 10 + kernelSize - 1;
      const expected = tf
        .conv2dTranspose(tf.expandDims(x, 1) as tf.Tensor4D, tf.expandDims(kernel, 0) as tf.Tensor4D, [2, 1, steps, 4], 1, 'valid')
        .squeeze([1])
        .add(bias);
      const y = layer.apply(x) as tf.Tensor;
      assert.deepEqual(y.shape, [2, steps, 4]);
      assertClose(y, Array.from(expected.dataSync()), 1e-5, 'valid conv1d transpose');
    });
  }

  it('is the adjoint of Conv1DIm2col with the same kernel: <conv(x), y> = <x, convT(y)>', () => {
    const x = input([2, 12, 3], 41);
    const yProbe = input([2, 12, 5], 42);
    const conv = conv1dIm2col({ filters: 5, kernelSize: 4, seed: 11 });
    conv.apply(x);
    const kernel = conv.getWeights()[0]; // [k, in, filters]
    conv.setWeights([kernel, tf.zeros([5])]);
    const convT = conv1dTranspose({ filters: 3, kernelSize: 4, seed: 12 });
    convT.apply(yProbe);
    convT.setWeights([kernel, tf.zeros([3])]); // [k, filters=3 (x's channels), in=5]
    const lhs = tf.sum(tf.mul(conv.apply(x) as tf.Tensor, yProbe)).dataSync()[0];
    const rhs = tf.sum(tf.mul(x, convT.apply(yProbe) as tf.Tensor)).dataSync()[0];
    assert.ok(Math.abs(lhs - rhs) < 1e-4 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
  });

  it("'valid' is the adjoint of a 'valid' Conv1DIm2col with the same kernel (12 steps -> 9 -> 12)", () => {
    const x = input([2, 12, 3], 43);
    const yProbe = input([2, 9, 5], 44);
    const conv = conv1dIm2col({ filters: 5, kernelSize: 4, padding: 'valid', seed: 11 });
    conv.apply(x);
    const kernel = conv.getWeights()[0];
    conv.setWeights([kernel, tf.zeros([5])]);
    const convT = conv1dTranspose({ filters: 3, kernelSize: 4, padding: 'valid', seed: 12 });
    convT.apply(yProbe);
    convT.setWeights([kernel, tf.zeros([3])]);
    const lhs = tf.sum(tf.mul(conv.apply(x) as tf.Tensor, yProbe)).dataSync()[0];
    const rhs = tf.sum(tf.mul(x, convT.apply(yProbe) as tf.Tensor)).dataSync()[0];
    assert.ok(Math.abs(lhs - rhs) < 1e-4 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
  });
});

describe('LayerNorm', () => {
  it('equals a manual mean/variance normalisation with gamma and beta', () => {
    const x = tf.add(tf.mul(input([2, 5, 6], 51), 3), 2);
    const layer = layerNorm({ epsilon: 1e-5 });
    layer.apply(x);
    const gamma = [0.5, 1, 1.5, -1, 2, 0.1];
    const beta = [0, 1, -1, 0.5, 0, 3];
    layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta)]);
    const rows = (x.arraySync() as number[][][]).flat();
    assertClose(layer.apply(x) as tf.Tensor, ref.layerNorm(rows, gamma, beta, 1e-5).flat(), 1e-5, 'layer norm');
  });

  it('its gradient dispatches the same small number of kernels whatever the batch size', async () => {
    const kernelsFor = async (batch: number) => {
      const layer = layerNorm();
      const x = input([batch, 80, 32], 52);
      layer.apply(x);
      const profile = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar);
        value.dispose();
        tf.dispose(grads);
      });
      return profile.kernels.length;
    };
    const small = await kernelsFor(2);
    const large = await kernelsFor(16);
    assert.equal(large, small);
    assert.ok(small < 60, `${small} kernels for one LayerNorm forward + backward`);
  });
});

describe('MultiHeadAttention', () => {
  for (const heads of [1, 2]) {
    it(`equals a hand-computed attention (${heads} head(s), 2 sequences of 3 steps)`, () => {
      const x = input([2, 3, 4], 61);
      const layer = multiHeadAttention({ heads, keyDim: 2, seed: 13 });
      layer.apply(x);
      // Non-zero biases so that every term of the reference is exercised.
      layer.setWeights(layer.getWeights().map((w, i) => (w.rank === 1 ? tf.randomNormal(w.shape, 0, 1, 'float32', 100 + i) : w)));
      const weights = layer.getWeights().map((w) => w.arraySync() as number[][]);
      const expected = (x.arraySync() as number[][][]).flatMap((seq) => ref.attention(seq, weights, heads, 2).flat());
      assertClose(layer.apply(x) as tf.Tensor, expected, 1e-5, 'attention');
    });
  }

  it('drops attention only while training, the same way for the same seed', () => {
    const x = input([2, 6, 4], 62);
    const make = () => new MultiHeadAttention({ heads: 2, keyDim: 2, dropout: 0.5, seed: 14 });
    const a = make();
    const inference = a.apply(x) as tf.Tensor;
    const trainingA = a.apply(x, { training: true }) as tf.Tensor;
    const b = make();
    b.apply(x);
    const trainingB = b.apply(x, { training: true }) as tf.Tensor;
    assert.deepEqual(Array.from((a.apply(x) as tf.Tensor).dataSync()), Array.from(inference.dataSync()));
    assert.notDeepEqual(Array.from(trainingA.dataSync()), Array.from(inference.dataSync()));
    assert.deepEqual(Array.from(trainingB.dataSync()), Array.from(trainingA.dataSync()));
  });
});

describe('TransformerEncoderLayer', () => {
  for (const [activation, residualWeight] of [['relu', null], ['gelu', 0.7]] as const) {
    it(`equals attention -> mix -> LN -> FFN(${activation}) -> mix -> LN computed by hand (residualWeight ${residualWeight})`, () => {
      const x = input([2, 4, 4], 71);
      const layer = transformerEncoderLayer({ heads: 2, keyDim: 2, ffnUnits: 5, activation, residualWeight, seed: 15 });
      layer.apply(x);
      layer.setWeights(layer.getWeights().map((w, i) => (w.rank === 1 ? tf.randomNormal(w.shape, 0.5, 1, 'float32', 200 + i) : w)));
      const w = layer.getWeights().map((t) => t.arraySync() as number[][]);
      const [g1, b1, k1, c1, k2, c2, g2, b2] = w.slice(8) as [number[], number[], Matrix, number[], Matrix, number[], number[], number[]];
      const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
      const act = activation === 'relu' ? (v: number) => Math.max(0, v) : gelu;
      const mix = (a: Matrix, b: Matrix) =>
        a.map((row, t) => row.map((v, j) => (residualWeight === null ? v + b[t][j] : residualWeight * v + (1 - residualWeight) * b[t][j])));
      const expected = (x.arraySync() as number[][][]).flatMap((seq) => {
        const h = ref.layerNorm(mix(seq, ref.attention(seq, w.slice(0, 8), 2, 2)), g1, b1, 1e-5);
        const hidden = ref.addRow(ref.matmul(h, k1), c1).map((row) => row.map(act));
        return ref.layerNorm(mix(h, ref.addRow(ref.matmul(hidden, k2), c2)), g2, b2, 1e-5).flat();
      });
      assertClose(layer.apply(x) as tf.Tensor, expected, 1e-4, 'encoder layer');
    });
  }

  it('rejects a residual weight outside (0, 1)', () => {
    assert.throws(() => new TransformerEncoderLayer({ heads: 1, keyDim: 2, ffnUnits: 4, residualWeight: 1.5, seed: 1 }), /residualWeight/);
  });
});

describe('layer classes', () => {
  it('have distinct registered class names', () => {
    const names = [Dense, Conv1DIm2col, Conv1DTranspose, LayerNorm, MultiHeadAttention, TransformerEncoderLayer].map((c) => c.className);
    assert.equal(new Set(names).size, names.length);
  });
});

/** erf by Abramowitz-Stegun 7.1.26 is too coarse for 1e-4; use the series / continued fraction. */
function erf(x: number): number {
  const sign = Math.sign(x);
  const a = Math.abs(x);
  if (a < 3) {
    // Maclaurin series: converges fast enough for |x| < 3 at double precision.
    let term = a;
    let sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return (sign * 2 * sum) / Math.sqrt(Math.PI);
  }
  return sign * (1 - Math.exp(-a * a) / (a * Math.sqrt(Math.PI)));
}
