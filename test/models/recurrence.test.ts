// FusedRecurrent against tfjs-layers' own LSTM/GRU with identical weights: outputs and gradients
// (inputs, initial states, kernel, recurrent kernel, bias), every direction and merge, both paths.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/seed.ts';
import { selectBackend } from '../../models/backend.ts';
import { FusedRecurrent, loadNativeKernels } from '../../models/recurrence/index.ts';
import type { RecurrentCell, RecurrentDirection } from '../../models/recurrence/index.ts';

const B = 3, T = 5, I = 4, H = 6;

function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = createRng(seed, 'test-tensor', shape.join('x'));
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (2 * rng() - 1) * scale), shape);
}

function assertClose(actual: tf.Tensor, expected: tf.Tensor, what: string, tol = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let scale = 1;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  assert.ok(worst <= tol * scale, `${what}: max |diff| ${worst} > ${tol * scale}`);
}

function stockCell(cell: RecurrentCell, returnSequences: boolean, goBackwards: boolean): tf.layers.Layer {
  const args = { units: H, returnSequences, goBackwards, recurrentActivation: 'sigmoid' as const };
  return cell === 'lstm' ? tf.layers.lstm(args) : tf.layers.gru(args);
}

interface Case { cell: RecurrentCell; direction: RecurrentDirection; merge: 'concat' | 'sum'; returnSequences: boolean; initialState: boolean }

/** Runs `layer` on x (+ states) and returns the output and d(loss)/d(everything). */
function outputAndGrads(layer: tf.layers.Layer, c: Case, apply: (x: tf.Tensor, states: tf.Tensor[]) => tf.Tensor) {
  const nStates = c.cell === 'lstm' ? 2 : 1;
  const nDirs = c.direction === 'bidirectional' ? 2 : 1;
  const x = tf.variable(randomTensor([B, T, I], 1));
  const states = c.initialState
    ? Array.from({ length: nStates * nDirs }, (_, i) => tf.variable(randomTensor([B, H], 10 + i, 0.5)))
    : [];
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  let out: tf.Tensor | null = null;
  const { grads } = tf.variableGrads(() => {
    const y = apply(x, states);
    out = tf.keep(y.clone());
    // A non-uniform upstream gradient so every output element matters differently.
    return tf.sum(tf.mul(y, randomTensor(y.shape, 99)));
  }, [x, ...states, ...weights]);
  return { out: out!, dx: grads[x.name], dStates: states.map((s) => grads[s.name]), dWeights: weights.map((w) => grads[w.name]) };
}

function compareWithStock(c: Case): void {
  const ours = new FusedRecurrent({ cell: c.cell, units: H, direction: c.direction, merge: c.merge, returnSequences: c.returnSequences, seed: 5, initialState: c.initialState });
  ours.build([B, T, I]);
  let stock: tf.layers.Layer;
  if (c.direction === 'bidirectional') {
    stock = tf.layers.bidirectional({ layer: stockCell(c.cell, c.returnSequences, false) as tf.RNN, mergeMode: c.merge });
  } else {
    stock = stockCell(c.cell, c.returnSequences, c.direction === 'reverse');
  }
  tf.tidy(() => stock.apply(tf.zeros([B, T, I])) as tf.Tensor); // builds its weights
  // Our seeded weights into the stock layer: proves names/shapes/order line up as well.
  assert.deepEqual(stock.getWeights().map((w) => w.shape), ours.getWeights().map((w) => w.shape));
  stock.setWeights(ours.getWeights());

  const mine = outputAndGrads(ours, c, (x, states) => ours.apply([x, ...states]) as tf.Tensor);
  const ref = outputAndGrads(stock, c, (x, states) => {
    const y = stock.apply(x, states.length ? { initialState: states } : {}) as tf.Tensor;
    // A stock goBackwards layer returns its sequence in processing order; ours is in input order.
    return c.direction === 'reverse' && c.returnSequences ? tf.reverse(y, 1) : y;
  });
  assertClose(mine.out, ref.out, 'output');
  assertClose(mine.dx, ref.dx, 'd input');
  mine.dStates.forEach((d, i) => assertClose(d, ref.dStates[i], `d initial state ${i}`));
  const names = ['kernel', 'recurrent kernel', 'bias'];
  mine.dWeights.forEach((d, i) => assertClose(d, ref.dWeights[i], `d ${names[i % 3]} (direction ${Math.floor(i / 3)})`));
}

const CASES: Case[] = [];
for (const cell of ['lstm', 'gru'] as const) {
  for (const returnSequences of [true, false]) {
    for (const direction of ['forward', 'reverse'] as const) {
      CASES.push({ cell, direction, merge: 'concat', returnSequences, initialState: false });
      CASES.push({ cell, direction, merge: 'concat', returnSequences, initialState: true });
    }
    for (const merge of ['concat', 'sum'] as const) {
      CASES.push({ cell, direction: 'bidirectional', merge, returnSequences, initialState: false });
      CASES.push({ cell, direction: 'bidirectional', merge, returnSequences, initialState: true });
    }
  }
}
const label = (c: Case) => `${c.cell} ${c.direction}${c.direction === 'bidirectional' ? ` ${c.merge}` : ''} seq=${c.returnSequences}${c.initialState ? ' with initial states' : ''}`;

const savedPath = process.env.TIDAL_RECURRENCE;
after(() => {
  if (savedPath === undefined) delete process.env.TIDAL_RECURRENCE;
  else process.env.TIDAL_RECURRENCE = savedPath;
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`FusedRecurrent tf-ops path matches tfjs-layers (${backend})`, () => {
    before(async () => {
      await selectBackend(backend);
      process.env.TIDAL_RECURRENCE = 'ops';
    });
    for (const c of CASES) test(label(c), () => tf.tidy(() => compareWithStock(c)));
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`FusedRecurrent native path matches tfjs-layers (${backend})`, () => {
    const kernels = loadNativeKernels();
    before(async () => {
      await selectBackend(backend);
      process.env.TIDAL_RECURRENCE = 'native';
    });
    for (const c of CASES) {
      test(label(c), { skip: kernels ? false : 'native recurrence kernels not built' }, () => tf.tidy(() => compareWithStock(c)));
    }
  });
}

// WebGPU tensors cannot be read synchronously: a smaller check with async reads, skipped when the
// backend cannot start here.
describe('FusedRecurrent tf-ops path matches tfjs-layers (webgpu)', () => {
  let unavailable: string | false = false;
  before(async () => {
    try {
      await selectBackend('webgpu');
      process.env.TIDAL_RECURRENCE = 'ops';
    } catch (err) {
      unavailable = (err as Error).message;
    }
  });
  for (const cell of ['lstm', 'gru'] as const) {
    test(`${cell} bidirectional concat seq=true: output and d input`, async (t) => {
      if (unavailable) return t.skip(`webgpu unavailable: ${unavailable}`);
      const ours = new FusedRecurrent({ cell, units: H, direction: 'bidirectional', returnSequences: true, seed: 3 });
      ours.build([B, T, I]);
      const stock = tf.layers.bidirectional({ layer: stockCell(cell, true, false) as tf.RNN });
      stock.apply(tf.zeros([B, T, I]));
      stock.setWeights(ours.getWeights());
      const x = randomTensor([B, T, I], 1);
      const w = randomTensor([B, T, 2 * H], 99);
      const dx = (layer: tf.layers.Layer) => tf.grads((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx) as tf.Tensor, w)))([x])[0];
      const worst = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0];
      assert.ok((await worst(ours.apply(x) as tf.Tensor, stock.apply(x) as tf.Tensor)) <= 1e-5);
      assert.ok((await worst(dx(ours), dx(stock))) <= 1e-5);
    });
  }
});

describe('FusedRecurrent layer', () => {
  before(async () => {
    await selectBackend('cpu');
    process.env.TIDAL_RECURRENCE = 'ops';
  });

  test('seeded initialisation: reproducible, directions differ, Keras-style values', () => {
    const make = (seed: number) => {
      const l = new FusedRecurrent({ cell: 'lstm', units: H, direction: 'bidirectional', seed });
      l.build([null, T, I]);
      return l.getWeights().map((w) => Array.from(w.dataSync()));
    };
    const a = make(3);
    assert.deepEqual(make(3), a);
    assert.notDeepEqual(make(4)[0], a[0]);
    assert.notDeepEqual(a[0], a[3], 'forward and backward kernels must differ');
    assert.notDeepEqual(a[1], a[4], 'forward and backward recurrent kernels must differ');
    // Glorot-uniform bound sqrt(6 / (in + 4u)).
    const limit = Math.sqrt(6 / (I + 4 * H));
    assert.ok(a[0].every((v) => Math.abs(v) <= limit) && Math.max(...a[0].map(Math.abs)) > limit / 2);
    // Orthogonal recurrent kernel [u, 4u]: rows orthonormal.
    const r = tf.tensor2d(a[1], [H, 4 * H]);
    assertClose(tf.matMul(r, r, false, true), tf.eye(H), 'R R^T = I');
    // Forget-gate bias 1, others 0.
    assert.deepEqual(a[2], [...Array(H).fill(0), ...Array(H).fill(1), ...Array(2 * H).fill(0)]);
  });

  test('model save / load round trip gives identical predictions', async () => {
    const input = tf.input({ shape: [T, I] });
    const y1 = new FusedRecurrent({ cell: 'lstm', units: H, direction: 'bidirectional', returnSequences: true, seed: 1 }).apply(input) as tf.SymbolicTensor;
    const y2 = new FusedRecurrent({ cell: 'gru', units: H, direction: 'reverse', merge: 'sum', returnSequences: true, seed: 2 }).apply(y1) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(y2) as tf.SymbolicTensor });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const layer = loaded.layers.find((l) => l instanceof FusedRecurrent && l.cell === 'gru') as FusedRecurrent;
    assert.equal(layer.direction, 'reverse');
    const x = randomTensor([B, T, I], 7);
    assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((model.predict(x) as tf.Tensor).dataSync()));
  });

  test('trains inside model.fit: loss falls on a learnable target', async () => {
    const model = tf.sequential({
      layers: [
        new FusedRecurrent({ cell: 'lstm', units: 8, direction: 'bidirectional', returnSequences: true, seed: 1, inputShape: [T, I] }),
        tf.layers.dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanAbsoluteError' });
    const x = randomTensor([16, T, I], 3);
    // Target: running sum of the first feature, a sequence task.
    const y = tf.cumsum(tf.slice(x, [0, 0, 0], [16, T, 1]), 1);
    const h = await model.fit(x, y, { epochs: 30, batchSize: 16, shuffle: false, verbose: 0 });
    const loss = h.history.loss as number[];
    assert.ok(loss[loss.length - 1] < 0.5 * loss[0], `loss ${loss[0]} -> ${loss[loss.length - 1]}`);
  });

  test('wrong number of inputs names the layer and what was expected', () => {
    const l = new FusedRecurrent({ cell: 'lstm', units: H, seed: 1, initialState: true, name: 'needs_states' });
    assert.throws(() => l.apply(randomTensor([B, T, I], 1)), /needs_states.*expected 3 inputs/);
  });
});

// The native path on wasm keeps everything in the heap (models/recurrence/native-sequence.ts): the
// saved cache and h are freed by the backward pass, nothing leaks, and the heap stops growing.
describe('FusedRecurrent native path memory (wasm)', () => {
  const kernels = loadNativeKernels();
  const skip = kernels ? false : 'native recurrence kernels not built';
  before(async () => {
    await selectBackend('wasm');
    process.env.TIDAL_RECURRENCE = 'native';
  });

  test('training and prediction free every tensor they make; the heap stops growing after the first batches', { skip }, () => {
    const input = tf.input({ shape: [T, I] });
    const a = new FusedRecurrent({ cell: 'lstm', units: H, direction: 'bidirectional', returnSequences: true, seed: 1 }).apply(input);
    const b = new FusedRecurrent({ cell: 'gru', units: H, direction: 'bidirectional', merge: 'sum', returnSequences: true, seed: 2 }).apply(a);
    const c = new FusedRecurrent({ cell: 'lstm', units: H, direction: 'reverse', seed: 3 }).apply(b) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(c) as tf.SymbolicTensor });
    const x = randomTensor([B, T, I], 4);
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const step = () => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, weights);
      weights.forEach((w) => w.assign(tf.sub(w, tf.mul(grads[w.name], 1e-3))));
    });
    step();
    step();
    const tensors = tf.memory().numTensors;
    const heapBytes = heap();
    for (let i = 0; i < 4; i++) step();
    assert.equal(tf.memory().numTensors, tensors, 'tensors left behind by training steps');
    assert.equal(heap(), heapBytes, 'wasm heap grew after the second batch');
    tf.tidy(() => {
      model.predict(x);
    });
    assert.equal(tf.memory().numTensors, tensors, 'tensors left behind by a prediction');
    x.dispose();
  });

  test('hStride: a direction writes h into every other row block of a shared buffer, same values', { skip }, () => {
    const U = 8, G = 4 * U, stride = 2 * U;
    const random = (n: number, seed: number) => randomTensor([n], seed, 0.5).dataSync() as Float32Array;
    const args = {
      batch: B, time: T, inputSize: I, units: U, reverse: true, x: random(B * T * I, 1), kernel: random(I * G, 2),
      recurrentKernel: random(U * G, 3), bias: random(G, 4), h0: null, c0: null,
    };
    const dense = kernels!.lstmForward(args);
    const shared = new Float32Array(B * T * stride);
    const strided = kernels!.lstmForward({ ...args, hStride: stride, out: { h: shared.subarray(U, U + (B * T - 1) * stride + U) } });
    for (let row = 0; row < B * T; row++) {
      assert.deepEqual(shared.subarray(row * stride + U, row * stride + 2 * U), dense.h.subarray(row * U, (row + 1) * U), `row ${row}`);
      assert.ok(shared.subarray(row * stride, row * stride + U).every((v) => v === 0), `row ${row}: the other half untouched`);
    }
    const dh = random(B * T * U, 5);
    const dhShared = new Float32Array(B * T * stride);
    for (let row = 0; row < B * T; row++) dhShared.set(dh.subarray(row * U, (row + 1) * U), row * stride + U);
    const expected = kernels!.lstmBackward({ ...args, cache: dense.cache, h: dense.h, dh, dhLast: null, dcLast: null });
    const actual = kernels!.lstmBackward({
      ...args, hStride: stride, cache: strided.cache, h: strided.h,
      dh: dhShared.subarray(U, U + (B * T - 1) * stride + U), dhLast: null, dcLast: null,
    });
    assert.deepEqual(actual, expected);
    assert.throws(() => kernels!.lstmForward({ ...args, hStride: U - 1 }), /lstmForward: 'hStride' must be at least units/);
  });
});
