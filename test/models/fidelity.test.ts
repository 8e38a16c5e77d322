/**
 * Same weights, same outputs: each public model, re-implemented in PyTorch (bench/fidelity/), wrote
 * its weights, an input batch, its outputs and the gradients of the masked MAE to
 * test/fixtures/fidelity/. Tidal's architecture gets the same weights through
 * models/import/torch-weights.ts and must give the same outputs (1e-4) and gradients (1e-3).
 * Regenerate the fixtures with `npm run fidelity:fixtures` (python3 with torch).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../models/backend.ts';
import { webgpuSkipReason } from './webgpu-available.ts';
import { getModel } from '../../models/registry.ts';
import { loadNativeKernels } from '../../models/recurrence/index.ts';
import {
  loadTorchWeights,
  torchEncoderLayer,
  torchGradientsLikeModel,
  type TorchArray,
  type TorchLayerImport,
} from '../../models/import/index.ts';

// Probed before any suite runs: starting webgpu while another suite selects wasm makes that fail.
const webgpuSkip = await webgpuSkipReason();
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'fidelity');
const OUTPUT_TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-3;

interface EncodedArray {
  shape: number[];
  data: string;
}

interface Fixture {
  model: string;
  config: Record<string, unknown>;
  inputFeatures: number;
  input: EncodedArray;
  inspiratory: EncodedArray;
  target: EncodedArray;
  output: EncodedArray;
  loss: number;
  weights: Record<string, EncodedArray>;
  gradients: Record<string, EncodedArray>;
}

function decode(e: EncodedArray): TorchArray {
  const bytes = Buffer.from(e.data, 'base64');
  // Copy into a fresh buffer: a Float32Array view needs 4-byte alignment.
  const data = new Float32Array(new Uint8Array(bytes).buffer);
  assert.equal(data.length, e.shape.reduce((a, b) => a * b, 1), 'fixture array length matches its shape');
  return { shape: e.shape, data };
}

function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
}

function state(map: Record<string, EncodedArray>): Map<string, TorchArray> {
  return new Map(Object.entries(map).map(([k, v]) => [k, decode(v)]));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Where each Tidal layer's weights sit in the PyTorch re-implementations (parameter names of
 * bench/fidelity/public_models.py), per architecture and config.
 */
const IMPORTS: Record<string, (config: Record<string, unknown>) => TorchLayerImport[]> = {
  bilstm: (c) => [
    ...range((c.units as number[]).length).map((i) => ({ layer: `bilstm_${i}`, from: [{ lstm: `rnns.${i}`, bidirectional: true }] })),
    { layer: 'dense', from: [{ linear: 'dense' }] },
    { layer: 'output', from: [{ linear: 'output' }] },
  ],
  'lstm-raw': (c) => [
    ...range(c.layers as number).map((i) => ({ layer: `bilstm_${i}`, from: [{ lstm: 'lstm', layer: i, bidirectional: true }] })),
    { layer: 'dense', from: [{ linear: 'dense' }] },
    { layer: 'output', from: [{ linearHeads: ['head_insp', 'head_exp'] }] },
  ],
  'conv-bilstm': (c) => [
    ...(c.kernelSizes as number[]).map((k, i) => ({ layer: `conv_k${k}_${i}`, from: [{ conv1d: `convs.${i}` }] })),
    ...range((c.units as number[]).length).map((i) => ({ layer: `bilstm_${i}`, from: [{ lstm: `rnns.${i}`, bidirectional: true }] })),
    { layer: 'output', from: [{ linearHeads: ['head_insp', 'head_exp'] }] },
  ],
  'lstm-cnn-transformer': (c) => [
    { layer: 'input_projection', from: [{ linear: 'input_projection' }] },
    ...range(c.lstmBlocks as number).flatMap((i) => [
      { layer: `lstm_block_${i}_bilstm`, from: [{ lstm: `lstm_blocks.${i}.lstm`, bidirectional: true }] },
      { layer: `lstm_block_${i}_ffn`, from: [{ linear: `lstm_blocks.${i}.ffn` }] },
      { layer: `lstm_block_${i}_out`, from: [{ linear: `lstm_blocks.${i}.out` }] },
    ]),
    { layer: 'lstm_norm', from: [{ layerNorm: 'lstm_norm' }] },
    ...range((c.convKernels as number[]).length).flatMap((i) => [
      {
        layer: `conv_block_${i}`,
        from: [
          { conv1d: `convs.${i}` },
          { layerNorm: `norms1.${i}` },
          ...torchEncoderLayer(`transformers.${i}`),
          { convTranspose1d: `deconvs.${i}` },
          { layerNorm: `norms2.${i}` },
        ],
      },
    ]),
    { layer: 'output', from: [{ linear: 'output' }] },
  ],
  transformer: (c) => [
    { layer: 'input_projection', from: [{ linear: 'input_projection' }] },
    ...range(c.blocks as number).map((i) => ({
      layer: `encoder_${i}`,
      from: [
        ...['query', 'key', 'value', 'output'].map((p) => ({ linear: `attention.${i}.${p}` })),
        { layerNorm: `norms1.${i}` },
        { linear: `ffn1.${i}` },
        { linear: `ffn2.${i}` },
        { layerNorm: `norms2.${i}` },
      ],
    })),
    { layer: 'output', from: [{ linear: 'output' }] },
  ],
};

/** Sum over output channels of the mean |output - target| over inspiratory rows. */
function maskedMae(output: tf.Tensor3D, target: tf.Tensor3D, inspiratory: tf.Tensor2D): tf.Scalar {
  const mask = tf.expandDims(inspiratory, -1);
  return tf.div(tf.sum(tf.mul(tf.abs(tf.sub(output, target)), mask)), tf.sum(inspiratory));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Loads the fixture's weights into Tidal's model and compares outputs, loss and gradients. */
async function checkFixture(name: string): Promise<void> {
  const fixture = loadFixture(name);
  const imports = IMPORTS[name](fixture.config);
  const model = getModel(name).build(fixture.config as never, fixture.inputFeatures, 1);
  loadTorchWeights(model, state(fixture.weights), imports);
  const expectedGrads = torchGradientsLikeModel(model, state(fixture.gradients), imports);
  const input = decode(fixture.input);
  const target = decode(fixture.target);
  const inspiratory = decode(fixture.inspiratory);
  const expectedOutput = decode(fixture.output);

  const x = tf.tensor3d(input.data, input.shape as [number, number, number]);
  const y = tf.tensor3d(target.data, target.shape as [number, number, number]);
  const mask = tf.tensor2d(inspiratory.data, inspiratory.shape as [number, number]);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let output: tf.Tensor3D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    output = tf.keep(model.apply(x, { training: true }) as tf.Tensor3D);
    return maskedMae(output, y, mask);
  }, variables);
  try {
    assert.deepEqual(output!.shape, expectedOutput.shape, 'output shape');
    const outputError = maxAbsDiff(await output!.data(), expectedOutput.data);
    assert.ok(outputError <= OUTPUT_TOLERANCE, `outputs differ by up to ${outputError}`);
    const loss = (await value.data())[0];
    assert.ok(Math.abs(loss - fixture.loss) <= OUTPUT_TOLERANCE, `loss ${loss} against ${fixture.loss}`);
    for (const [i, v] of variables.entries()) {
      const g = grads[v.name];
      assert.ok(g, `a gradient for ${model.trainableWeights[i].name}`);
      const error = maxAbsDiff(await g.data(), expectedGrads[i].data);
      assert.ok(error <= GRADIENT_TOLERANCE, `gradient of ${model.trainableWeights[i].name} differs by up to ${error}`);
    }
  } finally {
    tf.dispose([x, y, mask, output!, value, ...Object.values(grads)]);
    model.dispose();
  }
}

describe('fidelity: Tidal architectures against the PyTorch re-implementations of the public models', () => {
  let previousPath: string | undefined;
  let previousLayerKernels: string | undefined;
  before(async () => {
    await tf.setBackend('cpu');
    previousPath = process.env.TIDAL_RECURRENCE;
    previousLayerKernels = process.env.TIDAL_LAYER_KERNELS;
  });
  const restore = (key: string, value: string | undefined) => {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  };
  after(() => {
    restore('TIDAL_RECURRENCE', previousPath);
    restore('TIDAL_LAYER_KERNELS', previousLayerKernels);
  });

  for (const name of Object.keys(IMPORTS)) {
    // The tf-ops recurrence is slow; the LSTM-only models cover it (its equality with the native
    // path is recurrence.test.ts's concern), the others run the default path. The conv models
    // also run their convolutions as tf ops ('valid' padding is sliced and padded on both paths).
    const lstmOnly = name === 'bilstm' || name === 'lstm-raw';
    const withConv = name === 'conv-bilstm' || name === 'lstm-cnn-transformer';
    const paths = lstmOnly ? (['ops', 'native'] as const) : withConv ? (['auto', 'layer-ops'] as const) : (['auto'] as const);
    for (const path of paths) {
      const label =
        path === 'auto' ? `${name} (cpu)` : path === 'layer-ops' ? `${name} (cpu, layers as tf ops)` : `${name} (cpu, recurrence: ${path})`;
      it(`${label}: same weights give the same outputs and gradients`, async (t) => {
        if (path === 'native' && !loadNativeKernels()) {
          t.skip('native recurrence kernels not built (npm install builds them; needs a C compiler)');
          return;
        }
        if (path === 'layer-ops') {
          process.env.TIDAL_RECURRENCE = 'auto';
          process.env.TIDAL_LAYER_KERNELS = 'ops';
        } else {
          process.env.TIDAL_RECURRENCE = path;
          restore('TIDAL_LAYER_KERNELS', previousLayerKernels);
        }
        await checkFixture(name);
      });
    }
  }
});

describe('fidelity on the wasm backend', () => {
  before(async () => {
    await selectBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  for (const name of Object.keys(IMPORTS)) {
    it(`${name} (wasm): same weights give the same outputs and gradients`, async () => {
      assert.equal(tf.getBackend(), 'wasm');
      await checkFixture(name);
    });
  }
});

// The webgpu backend runs every layer as tf ops, 'valid' padding included (tf.slice / tf.pad there
// rather than the host-memory block copies).
describe('fidelity on the webgpu backend', () => {
  after(async () => {
    await tf.setBackend('cpu');
  });

  for (const name of ['lstm-cnn-transformer', 'conv-bilstm']) {
    it(`${name} (webgpu): same weights give the same outputs and gradients`, { skip: webgpuSkip }, async () => {
      await selectBackend('webgpu');
      await checkFixture(name);
    });
  }
});
