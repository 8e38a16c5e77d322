/**
 * Gradient clipping on wasm reads the global norm straight from heap memory
 * (models/training/clip-gradients.ts); it must give the bits of the tf kernels it replaces, for
 * steps that clip and steps that do not.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/seed.ts';
import { selectBackend } from '../../models/backend.ts';
import { clipByGlobalNorm } from '../../models/training/index.ts';

/** The clipping as tf kernels: the definition the heap path must match bit for bit. */
function clipWithKernels(grads: tf.Tensor[], maxNorm: number): Float32Array[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const factor = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    return grads.map((g) => tf.mul(g, factor).dataSync() as Float32Array);
  });
}

function gradients(seed: string, scale: number): tf.Tensor[] {
  const rng = createRng(13, seed);
  // Sizes off every vector width and one large enough for rounding to pile up in the sums.
  return [[7, 5], [13], [3, 4, 9], [4001]].map((shape, i) =>
    tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (2 * rng() - 1) * scale * 10 ** (i - 2)), shape),
  );
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('clipByGlobalNorm on wasm', () => {
  for (const [label, scale, maxNorm] of [['clipped', 50, 1], ['clipped at a large norm', 3e4, 10], ['not clipped', 0.01, 10], ['near the bound', 1, 0.29], ['a norm near the epsilon', 1e-8, 1e-9]] as const) {
    test(`${label}: the bits of the tf kernels`, async () => {
      await selectBackend('wasm');
      for (let trial = 0; trial < 5; trial++) {
        const grads = gradients(`${label} ${trial}`, scale);
        const expected = clipWithKernels(grads, maxNorm);
        const clipped = clipByGlobalNorm(grads, maxNorm);
        clipped.forEach((g, i) => assert.equal(bits(g.dataSync() as Float32Array), bits(expected[i]), `trial ${trial}, gradient ${i}`));
        tf.dispose([...new Set([...grads, ...clipped])]);
      }
    });
  }

  test('a step that is not clipped returns the gradients themselves, no new tensors', async () => {
    await selectBackend('wasm');
    const grads = gradients('pass', 0.01);
    const before = tf.memory().numTensors;
    const clipped = clipByGlobalNorm(grads, 10);
    assert.equal(tf.memory().numTensors, before);
    clipped.forEach((g, i) => assert.equal(g, grads[i]));
    const scaled = clipByGlobalNorm(grads, 1e-6);
    scaled.forEach((g, i) => assert.notEqual(g, grads[i]));
    tf.dispose([...grads, ...scaled]);
  });
});
