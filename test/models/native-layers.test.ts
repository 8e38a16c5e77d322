/**
 * The native layer kernels (models/native) against the tf-ops path of the same layers: outputs
 * and every gradient (input and weights) to 1e-5, a finite-difference check of the native
 * gradients, the generic C path against the AVX2 one, and the addon's input checks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/seed.ts';
import {
  conv1dIm2col, conv1dTranspose, convTransformerBlock, dense, layerNorm, multiHeadAttention, transformerEncoderLayer,
} from '../../models/layers/index.ts';
import { selectBackend } from '../../models/backend.ts';
import { addonStatus, loadAddon, nativeKernelPath } from '../../models/native/index.ts';
import { withLayerKernels } from './layer-kernels-env.ts';

interface Case {
  name: string; make: () => tf.layers.Layer; shape: [number, number, number];
  /** Added to the named weights after the random perturbation, e.g. to keep every relu unit active. */
  shift?: Record<string, number>;
}

// Sizes straddle the GEMM tiles (6 x 16) and the AVX2 width (8); the conv cases cover 'same'
// padding with even and odd widths, dilation, one tap, and a kernel wider than the sequence.
const CASES: Case[] = [
  { name: 'Conv1DIm2col k3 relu', make: () => conv1dIm2col({ filters: 17, kernelSize: 3, activation: 'relu', seed: 1 }), shape: [3, 11, 5] },
  { name: 'Conv1DIm2col k4 dilation 2', make: () => conv1dIm2col({ filters: 6, kernelSize: 4, dilation: 2, seed: 2 }), shape: [2, 9, 13] },
  { name: 'Conv1DIm2col k1 gelu', make: () => conv1dIm2col({ filters: 9, kernelSize: 1, activation: 'gelu', seed: 3 }), shape: [2, 7, 4] },
  { name: 'Conv1DIm2col k9 on 5 steps', make: () => conv1dIm2col({ filters: 4, kernelSize: 9, activation: 'relu', seed: 4 }), shape: [2, 5, 3] },
  { name: 'Conv1DTranspose k5 relu', make: () => conv1dTranspose({ filters: 6, kernelSize: 5, activation: 'relu', seed: 5 }), shape: [2, 9, 4] },
  { name: 'Dense relu', make: () => dense({ units: 33, activation: 'relu', seed: 6 }), shape: [3, 7, 10] },
  { name: 'Dense selu', make: () => dense({ units: 5, activation: 'selu', seed: 7 }), shape: [2, 4, 19] },
  { name: 'LayerNorm', make: () => layerNorm({ epsilon: 1e-3 }), shape: [3, 6, 20] },
  { name: 'MultiHeadAttention 3 x 5', make: () => multiHeadAttention({ heads: 3, keyDim: 5, seed: 8 }), shape: [2, 13, 7] },
  // Key widths 8 < 12 <= 16 take the small-head path's two-vector rows, 17 the GEMM path; 37 and
  // 40 steps cover its 32-column score blocks, their 8-column tails and the odd last row.
  { name: 'MultiHeadAttention 2 x 12, 37 steps', make: () => multiHeadAttention({ heads: 2, keyDim: 12, seed: 11 }), shape: [2, 37, 6] },
  { name: 'MultiHeadAttention 1 x 16, 40 steps', make: () => multiHeadAttention({ heads: 1, keyDim: 16, seed: 12 }), shape: [1, 40, 9] },
  { name: 'MultiHeadAttention 2 x 17 (GEMM path)', make: () => multiHeadAttention({ heads: 2, keyDim: 17, seed: 13 }), shape: [2, 11, 5] },
  {
    name: 'TransformerEncoderLayer relu',
    make: () => transformerEncoderLayer({ heads: 2, keyDim: 8, ffnUnits: 24, seed: 9 }),
    shape: [2, 10, 16],
  },
  {
    name: 'TransformerEncoderLayer gelu, residual weight 0.7',
    make: () => transformerEncoderLayer({ heads: 4, keyDim: 4, ffnUnits: 20, activation: 'gelu', residualWeight: 0.7, seed: 10 }),
    shape: [2, 9, 12],
  },
  {
    // The fused native encoder op (relu, no dropout) with a residual weight; the FFN's bias keeps
    // every relu unit far from its kink, so finite differences apply too.
    name: 'TransformerEncoderLayer relu, residual weight 0.4, every relu unit active',
    make: () => transformerEncoderLayer({ heads: 3, keyDim: 4, ffnUnits: 10, residualWeight: 0.4, seed: 14 }),
    shape: [2, 12, 8],
    shift: { ffn1_bias: 4 },
  },
  {
    // The conv block's one native op against the separate layers' tf ops: 'valid' conv, LayerNorm,
    // encoder on the shorter sequence, 'valid' transposed conv back, LayerNorm, skip.
    name: 'ConvTransformerBlock k3',
    make: () => convTransformerBlock({ kernelSize: 3, heads: 2, keyDim: 4, ffnUnits: 12, seeds: { conv: 21, encoder: 22, deconv: 23 } }),
    shape: [2, 11, 8],
  },
  {
    name: 'ConvTransformerBlock k4 (uneven padding), 3 heads x 3',
    make: () => convTransformerBlock({ kernelSize: 4, heads: 3, keyDim: 3, ffnUnits: 7, seeds: { conv: 24, encoder: 25, deconv: 26 } }),
    shape: [3, 9, 9],
  },
  {
    name: 'ConvTransformerBlock k2, every relu unit active',
    make: () => convTransformerBlock({ kernelSize: 2, heads: 1, keyDim: 6, ffnUnits: 5, seeds: { conv: 27, encoder: 28, deconv: 29 } }),
    shape: [2, 7, 6],
    shift: { conv_bias: 4, deconv_bias: 4, encoder_ffn1_bias: 4 },
  },
];

const addon = loadAddon();
const skip = addon ? false : `native addon not available: ${addonStatus().detail} (run node scripts/build-native.js)`;

function randomTensor(shape: number[], seed: string, scale = 1): tf.Tensor {
  const rng = createRng(13, seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (2 * rng() - 1) * scale), shape);
}

/** The layer built on `shape` with non-trivial weights (biases, gamma and beta away from 0 and 1). */
function buildLayer(c: Case): tf.layers.Layer {
  const layer = c.make();
  layer.apply(tf.zeros(c.shape));
  const names = layer.weights.map((w) => w.originalName.split('/').pop()!);
  layer.setWeights(layer.getWeights().map((w, i) =>
    tf.add(tf.add(w, randomTensor(w.shape, `${c.name} w${i}`, 0.3)), c.shift?.[names[i]] ?? 0)));
  return layer;
}

/** loss = sum(layer(x) * probe); its value and gradients w.r.t. x and every weight. */
function lossAndGrads(layer: tf.layers.Layer, x: tf.Tensor, probe: tf.Tensor): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const weights = layer.trainableWeights.map((w) => w.read());
    const y = (layer.apply(x) as tf.Tensor).dataSync() as Float32Array;
    const f = (...args: tf.Tensor[]) => tf.sum(tf.mul(layer.apply(args[0]) as tf.Tensor, probe));
    const gx = tf.grad((xi: tf.Tensor) => f(xi))(x);
    const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
    assert.equal(Object.keys(grads).length, weights.length);
    return { y: Float32Array.from(y), grads: [gx, ...Object.values(grads)].map((g) => Float32Array.from(g.dataSync())) };
  });
}

/** Max |actual - expected| within tol of the expected array's scale (at least 1). */
function assertClose(actual: Float32Array, expected: Float32Array, tol: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let scale = 1, worst = 0, at = -1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= tol * scale, `${label}: max error ${worst} at ${at} (scale ${scale})`);
}

describe('native layer kernels equal the tf-ops layers (cpu backend)', { skip }, () => {
  for (const c of CASES) {
    test(c.name, async () => {
      await tf.setBackend('cpu');
      const layer = buildLayer(c);
      const x = randomTensor(c.shape, `${c.name} x`, 1.5);
      const outShape = layer.computeOutputShape(c.shape) as number[];
      const probe = randomTensor(outShape, `${c.name} probe`);
      const ops = withLayerKernels('ops', () => lossAndGrads(layer, x, probe));
      const native = withLayerKernels('native', () => lossAndGrads(layer, x, probe));
      assertClose(native.y, ops.y, 1e-5, 'output');
      const names = ['x', ...layer.trainableWeights.map((w) => w.originalName)];
      native.grads.forEach((g, i) => assertClose(g, ops.grads[i], 1e-5, `d ${names[i]}`));
    });
  }
});

describe('on the wasm backend too (host copies in and out of the wasm heap)', { skip }, () => {
  for (const c of [CASES[0], CASES[10], CASES[12], CASES[13], CASES[14]]) {
    test(c.name, async () => {
      await selectBackend('wasm');
      try {
        const layer = buildLayer(c);
        const x = randomTensor(c.shape, `${c.name} x`, 1.5);
        const probe = randomTensor(layer.computeOutputShape(c.shape) as number[], `${c.name} probe`);
        const ops = withLayerKernels('ops', () => lossAndGrads(layer, x, probe));
        const native = withLayerKernels('native', () => lossAndGrads(layer, x, probe));
        assertClose(native.y, ops.y, 1e-5, 'output');
        native.grads.forEach((g, i) => assertClose(g, ops.grads[i], 1e-5, `gradient ${i}`));
      } finally {
        await tf.setBackend('cpu');
      }
    });
  }
});

describe('native layer gradients match finite differences', { skip }, () => {
  // float32 central differences: step 1e-2 keeps rounding near 1e-5 of the loss; a few entries a
  // tensor. Smooth activations only: a relu kink inside the step would make the quotient wrong.
  for (const c of [CASES[1], CASES[2], CASES[7], CASES[8], CASES[9], CASES[10], CASES[13], CASES[14], CASES[17]]) {
    test(c.name, async () => {
      await tf.setBackend('cpu');
      const layer = buildLayer(c);
      const x = randomTensor(c.shape, `${c.name} fd x`);
      const probe = randomTensor(layer.computeOutputShape(c.shape) as number[], `${c.name} fd probe`);
      withLayerKernels('native', () => {
        const { grads } = lossAndGrads(layer, x, probe);
        const loss = (xv: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(layer.apply(xv) as tf.Tensor, probe)).dataSync()[0]);
        const params = [x, ...layer.trainableWeights.map((w) => w.read())];
        const rng = createRng(3, 'fd', c.name);
        params.forEach((p, pi) => {
          const values = Float32Array.from(p.dataSync());
          for (let n = 0; n < 6; n++) {
            const i = Math.floor(rng() * values.length), eps = 1e-2, keep = values[i];
            const at = (v: number): number => {
              values[i] = v;
              const t = tf.tensor(values, p.shape);
              if (pi === 0) return loss(t);
              const w = layer.getWeights();
              w[pi - 1] = t;
              layer.setWeights(w);
              return loss(x);
            };
            const numeric = (at(keep + eps) - at(keep - eps)) / (2 * eps);
            at(keep);
            assert.ok(Math.abs(numeric - grads[pi][i]) <= 2e-3 * Math.max(1, Math.abs(numeric)),
              `param ${pi}[${i}]: analytic ${grads[pi][i]} vs numeric ${numeric}`);
          }
        });
      });
    });
  }
});

describe('native addon: instruction-set paths and input checks', { skip }, () => {
  // The same layers' outputs and gradients, printed by a child process on the forced path.
  const script = `
    import * as tf from '@tensorflow/tfjs';
    import { conv1dIm2col, recurrent, transformerEncoderLayer } from './models/layers/index.ts';
    import { nativeKernelPath } from './models/native/index.ts';
    await tf.setBackend('cpu');
    process.env.TIDAL_LAYER_KERNELS = 'native';
    process.env.TIDAL_RECURRENCE = 'native';
    const out = [];
    for (const layer of [conv1dIm2col({ filters: 19, kernelSize: 5, activation: 'relu', seed: 1 }),
                         transformerEncoderLayer({ heads: 2, keyDim: 8, ffnUnits: 24, seed: 2 }),
                         transformerEncoderLayer({ heads: 1, keyDim: 16, ffnUnits: 8, seed: 6 }),
                         recurrent({ cell: 'lstm', units: 20, returnSequences: true, direction: 'bidirectional', seed: 3 }),
                         recurrent({ cell: 'gru', units: 9, returnSequences: true, direction: 'forward', seed: 4 })]) {
      const x = tf.randomNormal([3, 23, 16], 0, 1, 'float32', 4);
      layer.apply(x);
      const probe = tf.randomUniform([3, 23, layer.computeOutputShape([3, 23, 16])[2]], -1, 1, 'float32', 5);
      const f = (xi) => tf.sum(tf.mul(layer.apply(xi), probe));
      out.push(Array.from(layer.apply(x).dataSync()), Array.from(tf.grad(f)(x).dataSync()));
      const { grads } = tf.variableGrads(() => f(x));
      for (const g of Object.values(grads)) out.push(Array.from(g.dataSync()));
    }
    console.log(JSON.stringify({ path: nativeKernelPath(), out }));`;
  const runOn = (isa: string): { path: string; out: number[][] } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, TIDAL_NATIVE_ISA: isa }, encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };

  test('TIDAL_NATIVE_ISA=generic gives the AVX2 path\'s results within 1e-5 (conv, transformer, LSTM, GRU)', () => {
    const generic = runOn('generic');
    assert.equal(generic.path, 'native-generic');
    const auto = runOn('auto');
    assert.equal(auto.path, nativeKernelPath());
    assert.equal(auto.out.length, generic.out.length);
    auto.out.forEach((a, i) => assertClose(Float32Array.from(generic.out[i]), Float32Array.from(a), 1e-5, `array ${i}`));
  });

  test('same inputs give the same bits call after call (attention, LayerNorm; released scratch between)', () => {
    const rng = createRng(5, 'bits');
    const values = (n: number) => Float32Array.from({ length: n }, () => 2 * rng() - 1);
    const [batch, time, heads, keyDim, width] = [3, 21, 2, 12, 24];
    const att = { batch, time, heads, keyDim, qkv: values(batch * time * 3 * heads * keyDim) };
    const dContext = values(batch * time * heads * keyDim);
    const ln = { rows: batch * time, width, epsilon: 1e-5, x: values(batch * time * width), residual: values(batch * time * width),
      skipWeight: null, gamma: values(width), beta: values(width) };
    const dy = values(batch * time * width);
    const once = () => {
      const f = addon!.attentionForward(att);
      const g = addon!.attentionBackward({ ...att, probs: f.probs, dContext });
      const l = addon!.layerNormForward(ln);
      const lg = addon!.layerNormBackward({ ...ln, stats: l.stats, dy });
      return [f.context, f.probs, g.dQkv, l.y, lg.dx, lg.dResidual!, lg.dGamma, lg.dBeta].map((a) => Buffer.from(a.buffer));
    };
    const first = once();
    addon!.release();
    once().forEach((bytes, i) => assert.ok(bytes.equals(first[i]), `array ${i} differs between calls`));
  });

  test('attention runs with float32 subnormals flushed and hands JavaScript its own float mode back', () => {
    const [batch, time, heads, keyDim] = [2, 5, 1, 4];
    // Q and K zero (uniform weights), V all subnormal: the context is their mean, 1e-40 with
    // IEEE subnormals and exactly 0 with them flushed (x86).
    const qkv = new Float32Array(batch * time * 3 * heads * keyDim);
    for (let row = 0; row < batch * time; row++) qkv.fill(1e-40, row * 3 * keyDim + 2 * keyDim, (row + 1) * 3 * keyDim);
    assert.ok(qkv[2 * keyDim] > 0 && qkv[2 * keyDim] < 1.1754943508222875e-38, 'the test value is a float32 subnormal');
    const { context } = addon!.attentionForward({ batch, time, heads, keyDim, qkv });
    if (process.arch === 'x64') assert.ok(context.every((v) => v === 0), `subnormal values read as 0, got ${context.slice(0, 4).join(', ')}`);
    // Read at run time so nothing is folded: the smallest normal double over 4 is a subnormal, not 0.
    const smallestNormal = Number.parseFloat(['2.2250738585072014e-308'][0]);
    assert.ok(smallestNormal / 4 > 0, 'after the call JavaScript still has IEEE subnormal doubles');
  });

  test('a gradient in two parts: LayerNorm\'s dyAdd is dy + dyAdd, convBackward\'s accumulateDx adds into out.dx', () => {
    const rng = createRng(6, 'two parts');
    const values = (n: number) => Float32Array.from({ length: n }, () => 2 * rng() - 1);
    const [rows, width] = [37, 13];
    const ln = { rows, width, epsilon: 1e-5, x: values(rows * width), residual: values(rows * width), skipWeight: 0.3,
      gamma: values(width), beta: values(width) };
    const stats = addon!.layerNormForward(ln).stats;
    const [dy, dyAdd] = [values(rows * width), values(rows * width)];
    const summed = addon!.layerNormBackward({ ...ln, stats, dy: dy.map((v, i) => v + dyAdd[i]) });
    const parts = addon!.layerNormBackward({ ...ln, stats, dy, dyAdd });
    for (const name of ['dx', 'dResidual', 'dGamma', 'dBeta'] as const) {
      assert.ok(Buffer.from(parts[name]!.buffer).equals(Buffer.from(summed[name]!.buffer)), `layerNormBackward ${name}`);
    }
    // Row tiles cut by the sequence and by the filter panels (19 filters), relu, and the one-filter path.
    for (const [channels, filters, relu] of [[5, 19, true], [16, 48, false], [7, 1, false]] as const) {
      const [batch, time, offsets] = [2, 29, Int32Array.of(-1, 0, 2)];
      const conv = { batch, time, channels, filters, taps: 3, offsets, relu, x: values(batch * time * channels),
        kernel: values(3 * channels * filters) };
      const { y } = addon!.convForward({ ...conv, bias: values(filters) });
      const grad = { ...conv, y: relu ? y : null, dy: values(batch * time * filters) };
      const alone = addon!.convBackward(grad);
      const other = values(batch * time * channels);
      const dx = other.slice();
      const added = addon!.convBackward({ ...grad, accumulateDx: true, out: { dx } });
      assert.equal(added.dx, dx);
      assertClose(dx, alone.dx.map((v, i) => v + other[i]), 1e-6, `conv ${channels} -> ${filters} dx`);
      assert.ok(Buffer.from(added.dKernel.buffer).equals(Buffer.from(alone.dKernel.buffer)), `conv ${channels} -> ${filters} dKernel`);
    }
  });

  test('an unknown TIDAL_NATIVE_ISA leaves the addon unloaded and says why', () => {
    const code = "import('./models/native/index.ts').then((m) => console.log(JSON.stringify(m.addonStatus())))";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, TIDAL_NATIVE_ISA: 'sse9' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const status = JSON.parse(r.stdout) as { loaded: boolean; detail: string };
    assert.equal(status.loaded, false);
    assert.match(status.detail, /TIDAL_NATIVE_ISA must be 'auto', 'generic' or 'avx2-fma', got 'sse9'/);
  });

  test('size products past 2^31 elements are refused with a clear error', () => {
    const big = { batch: 100_000, time: 100_000, channels: 1, filters: 1, taps: 1, offsets: Int32Array.of(0), relu: false,
      x: new Float32Array(1), kernel: new Float32Array(1), bias: new Float32Array(1) };
    assert.throws(() => addon!.convForward(big), /convForward: batch \* time \* channels exceeds 2\^31 - 1 elements/);
    assert.throws(() => addon!.attentionForward({ batch: 10_000, time: 50_000, heads: 8, keyDim: 1, qkv: new Float32Array(1) }),
      /attentionForward: batch \* time \* 3 \* heads \* keyDim exceeds 2\^31 - 1 elements/);
    assert.throws(() => addon!.lstmForward({ batch: 60_000, time: 60_000, inputSize: 1, units: 1, reverse: false,
      x: new Float32Array(1), kernel: new Float32Array(4), recurrentKernel: new Float32Array(4), bias: new Float32Array(4), h0: null, c0: null }),
    /lstmForward: batch \* time \* inputSize exceeds 2\^31 - 1 elements/);
  });

  test('bad arrays name the argument and shape; release() frees scratch and the kernels still run', () => {
    const a = { batch: 2, time: 4, channels: 3, filters: 5, taps: 2, offsets: Int32Array.of(-1, 0), relu: true,
      x: new Float32Array(24).fill(1), kernel: new Float32Array(30).fill(0.5), bias: new Float32Array(5) };
    assert.throws(() => addon!.convForward({ ...a, offsets: Int32Array.of(0) }), /convForward: 'offsets' must be an Int32Array of 2 elements/);
    assert.throws(() => addon!.convForward({ ...a, kernel: new Float32Array(3) }), /convForward: 'kernel' must be a Float32Array of 30 elements \[taps, channels, filters\]/);
    const before = addon!.convForward(a).y;
    addon!.release();
    assert.deepEqual(addon!.convForward(a).y, before);
    assert.equal(before[0], 1.5); // t = 0: the tap at -1 reads zeros, the other 3 channels * 0.5
  });

  test('layerNormForward adds an addend after the affine step, each sum one float32 rounding', () => {
    // Widths with a vector body and a scalar tail (19), and the 16 the small models use.
    for (const width of [16, 19]) {
      const rows = 5, rng = createRng(4, 'addend', width);
      const arr = (n: number, scale: number) => Float32Array.from({ length: n }, () => (2 * rng() - 1) * scale);
      const a = { rows, width, epsilon: 1e-5, x: arr(rows * width, 3), residual: null, skipWeight: null, gamma: arr(width, 2), beta: arr(width, 1) };
      const addend = arr(rows * width, 50);
      const plain = addon!.layerNormForward(a).y;
      const skipped = addon!.layerNormForward({ ...a, addend }).y;
      assert.deepEqual(skipped, plain.map((v, i) => Math.fround(v + addend[i])));
      assert.throws(() => addon!.layerNormForward({ ...a, addend: new Float32Array(3) }),
        new RegExp(`layerNormForward: 'addend' must be a Float32Array of ${rows * width} elements \\[rows, width\\] or null`));
    }
  });
});
