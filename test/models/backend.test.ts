// selectBackend on the backends this machine has: cpu and wasm always; webgpu only where its
// optional packages are installed (llvmpipe's OpenGL ES path on a GPU-less machine, Vulkan on a
// GPU), skipped otherwise. Values are read with `await t.data()`: dataSync throws on webgpu.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { simulateDataset } from '../../simulator/index.ts';
import { BACKEND_NAMES, WEBGPU_INSTALL, selectBackend } from '../../models/backend.ts';
import { recurrent } from '../../models/layers/index.ts';
import { recurrencePath } from '../../models/recurrence/index.ts';
import { installed, webgpuPackagesMissing } from './webgpu-available.ts';

const skipWebGpu = webgpuPackagesMissing();
const webgpuInstalled = !skipWebGpu;

const BREATHS = 3;
const FEATURES = 5;

/** [BREATHS, 80, FEATURES] model inputs from simulated breaths: time, u_in, u_out, R, C, scaled to ~1. */
function simulatedInputs(): Float32Array {
  const { train } = simulateDataset({ breaths: BREATHS, testBreaths: 0, seed: 11 });
  const x = new Float32Array(BREATHS * ROWS_PER_BREATH * FEATURES);
  for (let b = 0; b < BREATHS; b++) {
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      const i = b * ROWS_PER_BREATH + r;
      x.set([train.timeStep[i], train.uIn[i] / 50, train.uOut[i], train.R[b] / 50, train.C[b] / 50], i * FEATURES);
    }
  }
  return x;
}

/** x [n, k] times its transpose, in float64 with plain loops: a reference independent of tfjs. */
function gramReference(x: Float32Array, n: number, k: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += x[i * k + c] * x[j * k + c];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** The same gram matrix through tfjs on the current backend. */
async function gramOnBackend(x: Float32Array, n: number, k: number): Promise<Float32Array> {
  const y = tf.tidy(() => {
    const m = tf.tensor2d(x, [n, k]);
    return tf.matMul(m, tf.transpose(m));
  });
  const values = (await y.data()) as Float32Array;
  y.dispose();
  return values;
}

function maxRelativeDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

// All breath rows as a [240, 5] matrix: its gram matrix sums 5 products per entry.
const ROWS = BREATHS * ROWS_PER_BREATH;
const inputs = simulatedInputs();
const reference = gramReference(inputs, ROWS, FEATURES);

after(async () => {
  await selectBackend('cpu');
});

describe('selectBackend: cpu and wasm', () => {
  it('activates a named cpu backend and reports only it as tried', async () => {
    const choice = await selectBackend('cpu');
    assert.deepEqual(choice, { name: 'cpu', tfBackend: 'cpu', tried: [{ name: 'cpu' }] });
    assert.equal(tf.getBackend(), 'cpu');
    assert.ok(maxRelativeDiff(await gramOnBackend(inputs, ROWS, FEATURES), reference) < 1e-6);
  });

  it('activates wasm, whose matMul agrees with a float64 reference', async () => {
    const choice = await selectBackend('wasm');
    assert.equal(choice.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(maxRelativeDiff(await gramOnBackend(inputs, ROWS, FEATURES), reference) < 1e-6);
  });

  it('rejects an unknown name and a named backend that cannot load, naming it', async () => {
    await assert.rejects(selectBackend('metal' as 'cpu'), /unknown backend 'metal'.*tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
    if (!installed('@tensorflow/tfjs-node')) {
      await assert.rejects(selectBackend('tensorflow'), /backend 'tensorflow' is not available: .*@tensorflow\/tfjs-node/);
    }
  });

  it("'auto' tries tensorflow-gpu, webgpu, tensorflow, wasm, cpu in order and keeps the first that loads", async () => {
    const choice = await selectBackend('auto');
    const names = choice.tried.map((t) => t.name);
    assert.deepEqual(names, BACKEND_NAMES.slice(0, names.length));
    assert.equal(names.at(-1), choice.name);
    assert.equal(choice.tried.at(-1)!.error, undefined);
    for (const t of choice.tried.slice(0, -1)) assert.ok(t.error, `${t.name} failed with a reason`);
    assert.equal(tf.getBackend(), choice.tfBackend);
    if (!webgpuInstalled) {
      const webgpu = choice.tried.find((t) => t.name === 'webgpu');
      assert.ok(webgpu?.error?.includes(WEBGPU_INSTALL), `the webgpu failure says how to install it: ${webgpu?.error}`);
    }
  });
});

describe('selectBackend: webgpu', { skip: skipWebGpu }, () => {
  it('activates webgpu with an adapter and bit-reproducible matMuls close to float64', async () => {
    const choice = await selectBackend('webgpu');
    assert.equal(choice.tfBackend, 'webgpu');
    assert.equal(tf.getBackend(), 'webgpu');
    assert.match(choice.adapter ?? '', / via (vulkan|opengles)$/);
    assert.equal(tf.env().get('WEBGPU_MATMUL_PROGRAM_TYPE'), 3);
    const first = await gramOnBackend(inputs, ROWS, FEATURES);
    const second = await gramOnBackend(inputs, ROWS, FEATURES);
    assert.deepEqual(second, first);
    assert.ok(maxRelativeDiff(first, reference) < 1e-5);
  });

  it("'auto' passes over webgpu when its only adapter is Mesa's llvmpipe", async (t) => {
    const forced = await selectBackend('webgpu');
    if (!forced.adapter!.includes('llvmpipe')) return t.skip(`adapter is ${forced.adapter}`);
    const auto = await selectBackend('auto');
    assert.notEqual(auto.name, 'webgpu');
    const webgpu = auto.tried.find((x) => x.name === 'webgpu');
    assert.match(webgpu?.error ?? '', /CPU rasteriser, llvmpipe.*--backend webgpu/);
  });

  it('fused bidirectional LSTM: forward and backward on webgpu (WGSL path) match cpu (tf-ops path)', async () => {
    const saved = process.env.TIDAL_RECURRENCE;
    try {
      const cpu = await lstmOutputAndGrads('cpu');
      const gpu = await lstmOutputAndGrads('webgpu');
      assert.equal(gpu.path, 'webgpu');
      assert.equal(gpu.values.length, cpu.values.length);
      for (let i = 0; i < cpu.values.length; i++) {
        const diff = maxRelativeDiff(gpu.values[i], cpu.values[i]);
        assert.ok(diff < 1e-4, `${cpu.names[i]}: max relative diff ${diff}`);
      }
    } finally {
      if (saved === undefined) delete process.env.TIDAL_RECURRENCE;
      else process.env.TIDAL_RECURRENCE = saved;
    }
  });
});

/**
 * Output of a seeded bidirectional LSTM on the simulated breaths and the gradients of a weighted
 * sum of it with respect to the inputs and every weight, read back as Float32Arrays.
 * On cpu the ops path is forced (the native kernels would also run there); on webgpu the layer
 * picks its path itself, which must be the WGSL kernels.
 */
async function lstmOutputAndGrads(backend: 'cpu' | 'webgpu') {
  await selectBackend(backend);
  if (backend === 'cpu') process.env.TIDAL_RECURRENCE = 'ops';
  else delete process.env.TIDAL_RECURRENCE;
  const path = recurrencePath();
  const layer = recurrent({ cell: 'lstm', units: 8, direction: 'bidirectional', returnSequences: true, seed: 3 });
  layer.build([BREATHS, ROWS_PER_BREATH, FEATURES]);
  const x = tf.variable(tf.tensor3d(inputs, [BREATHS, ROWS_PER_BREATH, FEATURES]));
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  // A fixed, non-uniform upstream gradient so that every output element counts differently.
  const probe = tf.tensor3d(
    Float32Array.from({ length: BREATHS * ROWS_PER_BREATH * 16 }, (_, i) => Math.sin(i * 0.37)),
    [BREATHS, ROWS_PER_BREATH, 16],
  );
  let output: tf.Tensor | null = null;
  const { grads } = tf.variableGrads(() => {
    const y = layer.apply(x) as tf.Tensor;
    output = tf.keep(y.clone());
    return tf.sum(tf.mul(y, probe));
  }, [x, ...weights]);
  const tensors = [output!, grads[x.name], ...weights.map((w) => grads[w.name])];
  const names = ['output', 'd input', ...layer.trainableWeights.map((w) => `d ${w.name}`)];
  const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...tensors, x, probe]);
  for (const w of layer.weights) w.dispose();
  return { path, names, values };
}
