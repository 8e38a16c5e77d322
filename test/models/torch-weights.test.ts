/**
 * models/import/torch-weights.ts on hand-made tensors: each layout rule on values small enough to
 * check by eye, and the errors a wrong state dict or import list gets.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/breath-table.ts';
import { dense } from '../../models/layers/dense.ts';
import { loadTorchWeights, torchLayerArrays, type TorchArray } from '../../models/import/index.ts';

const arr = (shape: number[], values?: number[]): TorchArray => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from(values ?? Array.from({ length: n }, (_, i) => i)) };
};

describe('torch weight import', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('Linear [out, in] becomes a Dense kernel [in, out]; heads become columns in order', () => {
    const state = new Map([
      ['a.weight', arr([2, 3])], ['a.bias', arr([2], [7, 8])],
      ['b.weight', arr([1, 3], [10, 11, 12])], ['b.bias', arr([1], [9])],
    ]);
    const [kernel, bias] = torchLayerArrays(state, { layer: 'x', from: [{ linear: 'a' }] });
    assert.deepEqual(kernel.shape, [3, 2]);
    assert.deepEqual([...kernel.data], [0, 3, 1, 4, 2, 5]);
    assert.deepEqual([...bias.data], [7, 8]);
    const [heads, headBias] = torchLayerArrays(state, { layer: 'x', from: [{ linearHeads: ['a', 'b'] }] });
    assert.deepEqual(heads.shape, [3, 3]);
    assert.deepEqual([...heads.data], [0, 3, 10, 1, 4, 11, 2, 5, 12]);
    assert.deepEqual([...headBias.data], [7, 8, 9]);
  });

  it('LSTM: transposed kernels, bias_ih + bias_hh (d/d bias_ih for gradients), forward before reverse', () => {
    const u = 1;
    const state = new Map<string, TorchArray>();
    for (const suffix of ['', '_reverse']) {
      const offset = suffix ? 100 : 0;
      state.set(`l.weight_ih_l1${suffix}`, arr([4 * u, 2], [0, 1, 2, 3, 4, 5, 6, 7].map((v) => v + offset)));
      state.set(`l.weight_hh_l1${suffix}`, arr([4 * u, u], [0, 1, 2, 3].map((v) => v + offset)));
      state.set(`l.bias_ih_l1${suffix}`, arr([4 * u], [1, 2, 3, 4]));
      state.set(`l.bias_hh_l1${suffix}`, arr([4 * u], [10, 20, 30, 40]));
    }
    const spec = { layer: 'x', from: [{ lstm: 'l', layer: 1, bidirectional: true }] };
    const out = torchLayerArrays(state, spec);
    assert.equal(out.length, 6);
    assert.deepEqual(out[0].shape, [2, 4]);
    // Gate blocks keep their order (i, f, g, o = Keras' i, f, c, o): column j is row j of weight_ih.
    assert.deepEqual([...out[0].data], [0, 2, 4, 6, 1, 3, 5, 7]);
    assert.deepEqual([...out[2].data], [11, 22, 33, 44]);
    assert.equal(out[3].data[0], 100, 'the reverse direction comes second');
    const grads = torchLayerArrays(state, spec, { gradients: true });
    assert.deepEqual([...grads[2].data], [1, 2, 3, 4]);
  });

  it('Conv1d [out, in, k] -> [k, in, out]; ConvTranspose1d [in, out, k] -> [k, out, in]', () => {
    const state = new Map([
      ['c.weight', arr([2, 3, 4])], ['c.bias', arr([2])],
      ['t.weight', arr([2, 3, 4])], ['t.bias', arr([3])],
    ]);
    const [conv] = torchLayerArrays(state, { layer: 'x', from: [{ conv1d: 'c' }] });
    assert.deepEqual(conv.shape, [4, 3, 2]);
    // kernel[k][i][o] = weight[o][i][k] = o*12 + i*4 + k
    assert.equal(conv.data[(3 * 3 + 2) * 2 + 1], 1 * 12 + 2 * 4 + 3);
    const [deconv] = torchLayerArrays(state, { layer: 'x', from: [{ convTranspose1d: 't' }] });
    assert.deepEqual(deconv.shape, [4, 3, 2]);
    // kernel[k][o][i] = weight[i][o][k] = i*12 + o*4 + k
    assert.equal(deconv.data[(2 * 3 + 1) * 2 + 1], 1 * 12 + 1 * 4 + 2);
  });

  it('MultiheadAttention in_proj rows split into query, key, value kernels', () => {
    const d = 2;
    const state = new Map([
      ['m.in_proj_weight', arr([3 * d, d])], ['m.in_proj_bias', arr([3 * d])],
      ['m.out_proj.weight', arr([d, d])], ['m.out_proj.bias', arr([d])],
    ]);
    const out = torchLayerArrays(state, { layer: 'x', from: [{ multiheadAttention: 'm' }] });
    assert.equal(out.length, 8);
    assert.deepEqual([...out[2].data], [4, 6, 5, 7], 'key kernel: rows 2-3 of in_proj, transposed');
    assert.deepEqual([...out[5].data], [4, 5], 'value bias: entries 4-5');
  });

  it('refuses a missing parameter, a wrong shape and a model weight nothing covers', () => {
    const input = tf.input({ shape: [ROWS_PER_BREATH, 3] });
    const h = dense({ units: 2, seed: 1, name: 'first' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: dense({ units: 1, seed: 2, name: 'second' }).apply(h) as tf.SymbolicTensor });
    const state = new Map([
      ['a.weight', arr([2, 3])], ['a.bias', arr([2])],
      ['b.weight', arr([1, 3])], ['b.bias', arr([1])],
    ]);
    assert.throws(() => loadTorchWeights(model, state, [{ layer: 'first', from: [{ linear: 'nope' }] }]), /parameter 'nope.weight' is missing/);
    assert.throws(() => loadTorchWeights(model, state, [{ layer: 'second', from: [{ linear: 'b' }] }]), /layer 'second' weight second\/kernel is \[2, 1\], torch gives \[3, 1\]/);
    assert.throws(() => loadTorchWeights(model, state, [{ layer: 'first', from: [{ linear: 'a' }] }]), /no torch parameters for second/);
    model.dispose();
  });
});
