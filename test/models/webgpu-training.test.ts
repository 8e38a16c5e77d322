// The training step on a real Dawn adapter (Mesa's llvmpipe without a GPU): the fused Adam/AdamW
// update against the tf-ops one on cpu, and a short fitFold of the small BiLSTM on webgpu against
// the same run on wasm.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { createRng } from '../../core/index.ts';
import { simulateDataset } from '../../simulator/index.ts';
import { selectBackend } from '../../models/backend.ts';
import { countWebGpuDispatches } from '../../models/recurrence/index.ts';
import { getModel } from '../../models/registry.ts';
import { AdamOptimizer, fitFold, type FoldData } from '../../models/training/index.ts';
import { webgpuSkipReason } from './webgpu-available.ts';

const skip = await webgpuSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'tidal-webgpu-training-'));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await selectBackend('cpu');
});

function randomValues(n: number, seed: number): Float32Array {
  const rng = createRng(seed, 'webgpu-training', String(n));
  return Float32Array.from({ length: n }, () => 2 * rng() - 1);
}

/** Three AdamW steps on two variables; returns the variables and moments after them. */
async function adamSteps(backend: 'cpu' | 'webgpu') {
  await selectBackend(backend);
  const shapes = [[5, 7], [7]];
  const variables = shapes.map((s, i) => tf.variable(tf.tensor(randomValues(s.reduce((a, b) => a * b, 1), i), s)));
  const optimizer = new AdamOptimizer({ kind: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.01 }, variables);
  let dispatches = 0;
  for (let step = 0; step < 3; step++) {
    const grads = shapes.map((s, i) => tf.tensor(randomValues(s.reduce((a, b) => a * b, 1), 10 * step + i + 5), s));
    if (backend === 'webgpu') dispatches = (await countWebGpuDispatches(() => optimizer.apply(grads, 0.01))).count.dispatches;
    else optimizer.apply(grads, 0.01);
    tf.dispose(grads);
  }
  const values = await Promise.all(variables.map(async (v) => Float32Array.from(await v.data())));
  const { moments } = await optimizer.exportState();
  optimizer.dispose();
  tf.dispose(variables);
  return { values: [...values, ...moments], dispatches };
}

/** Simulated breaths as [breaths, 80, 5] inputs: time, u_in, u_out, R, C scaled to about 1. */
function simulatedLayout(breaths: number): FoldData {
  const { train } = simulateDataset({ breaths, testBreaths: 0, seed: 3 });
  const F = 5;
  const x = new Float32Array(breaths * ROWS_PER_BREATH * F);
  for (let b = 0; b < breaths; b++) {
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      const i = b * ROWS_PER_BREATH + r;
      x.set([train.timeStep[i], train.uIn[i] / 50, train.uOut[i], train.R[b] / 50, train.C[b] / 50], i * F);
    }
  }
  return { x, mask: Uint8Array.from(train.uOut, (u) => 1 - u), target: Float32Array.from(train.pressure!), nBreaths: breaths, nFeatures: F };
}

describe('webgpu training step', { skip }, () => {
  it('fused AdamW equals the tf-ops update on cpu, in 3 dispatches a variable', async () => {
    const cpu = await adamSteps('cpu');
    const gpu = await adamSteps('webgpu');
    assert.equal(gpu.dispatches, 3 * 2);
    cpu.values.forEach((expected, i) => {
      let worst = 0;
      for (let j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(gpu.values[i][j] - expected[j]));
      assert.ok(worst < 1e-5, `tensor ${i}: max |diff| ${worst}`);
    });
  });

  it('a small BiLSTM trained on webgpu reaches the validation MAE class of wasm', async () => {
    const data = simulatedLayout(48);
    const definition = getModel('bilstm');
    const run = async (backend: 'wasm' | 'webgpu') => {
      await selectBackend(backend);
      return fitFold({
        definition, config: definition.small, data, seed: 42,
        trainIdx: Int32Array.from({ length: 36 }, (_, i) => i), validIdx: Int32Array.from({ length: 12 }, (_, i) => 36 + i),
        recipe: { epochs: 3, batchSize: 12, lr: 0.01 }, checkpointDir: join(dir, backend),
      });
    };
    const wasm = await run('wasm');
    const gpu = await run('webgpu');
    const losses = gpu.history.map((h) => h.trainLoss);
    assert.ok(losses.at(-1)! < losses[0], `webgpu training loss did not fall: ${losses.join(', ')}`);
    // Same data, seed and recipe: only float rounding differs, so the two runs stay close.
    assert.ok(Math.abs(gpu.bestValidMae - wasm.bestValidMae) < 0.05 * wasm.bestValidMae,
      `webgpu best MAE ${gpu.bestValidMae} vs wasm ${wasm.bestValidMae}`);
  });
});
