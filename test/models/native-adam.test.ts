/**
 * The native Adam step (models/native/adam.ts) on wasm against the tf-ops path of the same
 * optimizer: the same bits for Adam and AdamW over several steps, and a variable whose data
 * another tensor shares is left to the tf ops (nobody else sees its buffer change).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/seed.ts';
import { selectBackend } from '../../models/backend.ts';
import { adamUpdateInPlace, addonStatus, layerKernels, loadAddon } from '../../models/native/index.ts';
import { AdamOptimizer } from '../../models/training/index.ts';
import type { OptimizerConfig } from '../../models/training/recipe.ts';
import { heapOffset, wasmHeap } from '../../models/native/layer-ops.ts';
import { withLayerKernels } from './layer-kernels-env.ts';

const skip = loadAddon() ? false : `native addon not available: ${addonStatus().detail} (run node scripts/build-native.js)`;

function values(shape: number[], seed: string, scale: number): Float32Array {
  const rng = createRng(21, seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (2 * rng() - 1) * scale);
}

// Sizes off the vector widths; gradients from tiny to large so that the moments differ widely.
const SHAPES = [[7, 5], [13], [3, 4, 9]];

/** The variables after `steps` Adam steps on the given path, and the step each one took natively. */
function train(path: 'ops' | 'native', config: OptimizerConfig, steps: number): Float32Array[] {
  return withLayerKernels(path, () => {
    const variables = SHAPES.map((s, i) => tf.variable(tf.tensor(values(s, `w${i}`, 1), s)));
    const optimizer = new AdamOptimizer(config, variables);
    for (let step = 0; step < steps; step++) {
      const grads = SHAPES.map((s, i) => tf.tensor(values(s, `g${i} ${step}`, 10 ** (i - 2)), s));
      optimizer.apply(grads, 1e-3 * (step + 1));
      tf.dispose(grads);
    }
    const out = variables.map((v) => v.dataSync() as Float32Array);
    optimizer.dispose();
    tf.dispose(variables);
    return out;
  });
}

describe('native Adam on wasm', { skip }, () => {
  const configs: OptimizerConfig[] = [
    { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    { kind: 'adamw', beta1: 0.85, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.01 },
  ];
  for (const config of configs) {
    test(`${config.kind}: the same bits as the tf-ops path over 4 steps`, async () => {
      await selectBackend('wasm');
      const ops = train('ops', config, 4);
      const native = train('native', config, 4);
      const start = SHAPES.map((s, i) => values(s, `w${i}`, 1));
      native.forEach((w, i) => {
        assert.notDeepEqual(w, start[i], `variable ${i} did not move`);
        assert.deepEqual(Buffer.from(w.buffer, w.byteOffset, w.byteLength), Buffer.from(ops[i].buffer, ops[i].byteOffset, ops[i].byteLength), `variable ${i}`);
      });
    });
  }

  test('after the first step (which replaces the initial buffers) the update runs natively, in place', async () => {
    await selectBackend('wasm');
    return withLayerKernels('native', () => {
      const w = tf.variable(tf.tensor(values([10], 'in place', 1), [10]));
      const optimizer = new AdamOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, [w]);
      const g = tf.tensor(values([10], 'in place g', 1), [10]);
      optimizer.apply([g], 1e-3);
      const moments = optimizer as unknown as { m: tf.Variable[]; v: tf.Variable[] };
      const [m, v] = [moments.m[0], moments.v[0]];
      const dataId = w.dataId;
      const hyper = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, c1: 1 - 0.9 ** 2, c2: 1 - 0.999 ** 2, lr: 1e-3, decay: 1 };
      assert.deepEqual(adamUpdateInPlace([w], [m], [v], [g], hyper), [], 'nothing left to the tf ops');
      assert.equal(w.dataId, dataId, 'the variable keeps its buffer');
      tf.dispose([w, g]);
      optimizer.dispose();
    });
  });

  test('one call takes every variable it can: a shared one is left to the tf ops, in the same step, with the same bits', async () => {
    await selectBackend('wasm');
    const config: OptimizerConfig = { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const run = (path: 'ops' | 'native', share: boolean) => {
      return withLayerKernels(path, () => {
        const variables = SHAPES.map((s, i) => tf.variable(tf.tensor(values(s, `mixed w${i}`, 1), s)));
        const optimizer = new AdamOptimizer(config, variables);
        const grads = SHAPES.map((s, i) => tf.tensor(values(s, `mixed g${i}`, 1), s));
        optimizer.apply(grads, 1e-3); // replaces the initial buffers
        const alias = share ? tf.reshape(variables[1], [-1]) : null; // shares the middle variable's data
        optimizer.apply(grads, 1e-3);
        const out = variables.map((v) => v.dataSync().slice());
        tf.dispose([...variables, ...grads, ...(alias ? [alias] : [])]);
        optimizer.dispose();
        return out;
      });
    };
    assert.deepEqual(run('native', true), run('ops', false));
  });

  test('a slot outside the heap is an error that names it, and no variable changes', async () => {
    await selectBackend('wasm');
    return withLayerKernels('native', () => {
      const w = tf.variable(tf.tensor(values([8], 'bad slot', 1), [8]));
      const optimizer = new AdamOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, [w]);
      const g = tf.tensor(values([8], 'bad slot g', 1), [8]);
      optimizer.apply([g], 1e-3);
      const before = w.dataSync().slice();
      const kernels = layerKernels()!;
      const heap = wasmHeap()!;
      const offset = heapOffset(w, true)!;
      const hyper = { beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, c1: 0.19, c2: 0.002, epsilon: 1e-7, lr: 1e-3, decay: 1 };
      // The first slot is good, the second runs past the end of the heap.
      const slots = Uint32Array.from([offset, offset, offset, offset, 8, offset, offset, offset, heap.length - 8, 8]);
      assert.throws(() => kernels.adamUpdateHeap({ heap, slots, ...hyper }), /adamUpdateHeap.*slots/);
      assert.deepEqual(w.dataSync(), before);
      tf.dispose([w, g]);
      optimizer.dispose();
    });
  });

  test('a variable whose data another tensor shares is updated by tf ops, the other tensor unchanged', async () => {
    await selectBackend('wasm');
    return withLayerKernels('native', () => {
      const w = tf.variable(tf.tensor(values([6], 'shared', 1), [6]));
      const optimizer = new AdamOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, [w]);
      const g = tf.tensor(values([6], 'shared g', 1), [6]);
      optimizer.apply([g], 1e-3); // the first step replaces the variable's initial buffer
      const alias = tf.reshape(w, [2, 3]); // shares w's data on wasm
      const before = alias.dataSync().slice();
      optimizer.apply([g], 1e-3);
      assert.deepEqual(alias.dataSync(), before);
      assert.notDeepEqual(w.dataSync(), before);
      tf.dispose([w, g, alias]);
      optimizer.dispose();
    });
  });
});
