// The WGSL fused LSTM / GRU (models/recurrence/webgpu-*.ts) on a real Dawn adapter against the
// float64 plain-loop reference (reference-js.ts): outputs and every gradient, every direction,
// with and without initial states, odd and real sizes; on both step programs (plain and tiled,
// TIDAL_WEBGPU_STEP). Without a GPU the adapter is Mesa's
// llvmpipe through Dawn's OpenGL ES path. Values are read with `await t.data()`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/seed.ts';
import { selectBackend } from '../../models/backend.ts';
import {
  FusedRecurrent, TILED_MIN_UNITS, countWebGpuDispatches, recurrenceKernelName, recurrencePath, recurrentSequenceWebGpu,
} from '../../models/recurrence/index.ts';
import type { RecurrentCell, RecurrentDirection } from '../../models/recurrence/index.ts';
import { gruBackward64, gruForward64, lstmBackward64, lstmForward64, type Sequence64 } from '../../models/recurrence/reference-js.ts';
import { webgpuSkipReason } from './webgpu-available.ts';

const skip = await webgpuSkipReason();

function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed, 'webgpu-recurrence', String(n));
  return Float32Array.from({ length: n }, () => (2 * rng() - 1) * scale);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tol * scale, `${what}: max |diff| ${worst} > ${tol} x ${scale}`);
}

interface Case {
  cell: RecurrentCell; direction: RecurrentDirection; initialState: boolean;
  batch: number; time: number; inputSize: number; units: number;
  returnSequences: boolean; merge: 'concat' | 'sum';
}

/** `stepProgram`: the forward step program the layer must dispatch (counted), when given. */
async function compareWithReference(c: Case, stepProgram?: string): Promise<void> {
  const { batch: B, time: T, inputSize: I, units: U } = c;
  const layer = new FusedRecurrent({
    cell: c.cell, units: U, direction: c.direction, merge: c.merge, returnSequences: c.returnSequences, seed: 17, initialState: c.initialState,
  });
  layer.build([B, T, I]);
  const D = c.direction === 'bidirectional' ? 2 : 1;
  const nStates = c.cell === 'lstm' ? 2 : 1;
  const xData = randomValues(B * T * I, 1);
  const stateData = c.initialState ? Array.from({ length: D * nStates }, (_, i) => randomValues(B * U, 10 + i, 0.5)) : [];
  const x = tf.variable(tf.tensor3d(xData, [B, T, I]));
  const states = stateData.map((s) => tf.variable(tf.tensor2d(s, [B, U])));
  const weights = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const weightData = await Promise.all(weights.map(async (w) => (await w.data()) as Float32Array));
  const outWidth = D === 2 && c.merge === 'concat' ? D * U : U;
  const outShape = c.returnSequences ? [B, T, outWidth] : [B, outWidth];
  const probeData = randomValues(outShape.reduce((a, b) => a * b, 1), 99);
  const probe = tf.tensor(probeData, outShape);
  let output: tf.Tensor | null = null;
  const { result: { grads }, count } = await countWebGpuDispatches(() => tf.variableGrads(() => {
    const y = layer.apply(c.initialState ? [x, ...states] : x) as tf.Tensor;
    output = tf.keep(y.clone());
    return tf.sum(tf.mul(y, probe));
  }, [x, ...states, ...weights]));
  if (stepProgram) {
    assert.equal(count.byProgram[stepProgram], c.time, `${stepProgram} once a step: ${JSON.stringify(count.byProgram)}`);
    assert.equal(count.byProgram[stepProgram.replace('Forward', 'Backward')], c.time, `backward steps: ${JSON.stringify(count.byProgram)}`);
  }
  assert.deepEqual(output!.shape, outShape);
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const got = {
    out: await read(output!), dx: await read(grads[x.name]),
    dStates: await Promise.all(states.map((s) => read(grads[s.name]))),
    dWeights: await Promise.all(weights.map((w) => read(grads[w.name]))),
  };

  // Reference per direction, in float64.
  const refOut = new Float64Array(got.out.length);
  const refDx = new Float64Array(B * T * I);
  for (let d = 0; d < D; d++) {
    const reverse = c.direction === 'reverse' || d === 1;
    const [kernel, recurrentKernel, bias] = weightData.slice(3 * d, 3 * d + 3);
    const a: Sequence64 = {
      batch: B, time: T, inputSize: I, units: U, reverse, x: xData, kernel, recurrentKernel, bias,
      h0: c.initialState ? stateData[d * nStates] : null, c0: c.initialState && c.cell === 'lstm' ? stateData[d * nStates + 1] : null,
    };
    const h = c.cell === 'lstm' ? lstmForward64(a).h : gruForward64(a).h;
    // Upstream gradient of this direction's hidden sequence, and its share of the output.
    const dh = new Float64Array(B * T * U);
    const column = D === 2 && c.merge === 'concat' ? d * U : 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const last = reverse ? 0 : T - 1;
        if (!c.returnSequences && t !== last) continue;
        const o = c.returnSequences ? (b * T + t) * outWidth + column : b * outWidth + column;
        for (let u = 0; u < U; u++) {
          refOut[o + u] += h[(b * T + t) * U + u];
          dh[(b * T + t) * U + u] = probeData[o + u];
        }
      }
    }
    const g = c.cell === 'lstm' ? lstmBackward64(a, dh, null, null) : gruBackward64(a, dh, null);
    for (let i = 0; i < refDx.length; i++) refDx[i] += g.dx[i];
    const label = `${c.cell} ${c.direction} direction ${d}`;
    assertClose(got.dWeights[3 * d], g.dKernel, `${label}: d kernel`);
    assertClose(got.dWeights[3 * d + 1], g.dRecurrentKernel, `${label}: d recurrent kernel`);
    assertClose(got.dWeights[3 * d + 2], g.dBias, `${label}: d bias`);
    if (c.initialState) {
      assertClose(got.dStates[d * nStates], g.dh0, `${label}: d h0`);
      if (c.cell === 'lstm') assertClose(got.dStates[d * nStates + 1], (g as unknown as { dc0: Float64Array }).dc0, `${label}: d c0`);
    }
  }
  assertClose(got.out, refOut, `${c.cell} ${c.direction}: output`);
  assertClose(got.dx, refDx, `${c.cell} ${c.direction}: d input`);
  tf.dispose([output!, ...Object.values(grads), x, ...states, probe]);
  for (const w of layer.weights) w.dispose();
}

/** The op over a batch in row chunks (a small binding limit) against the same op unchunked. */
async function compareChunked(cell: RecurrentCell): Promise<void> {
  const [B, T, I, U] = [7, 5, 3, 4];
  const G = (cell === 'lstm' ? 4 : 3) * U;
  const nStates = cell === 'lstm' ? 2 : 1;
  const x = tf.variable(tf.tensor3d(randomValues(B * T * I, 3), [B, T, I]));
  const params = [0, 1].flatMap((d) => [
    ...Array.from({ length: nStates }, (_, k) => tf.variable(tf.tensor2d(randomValues(B * U, 20 + 3 * d + k, 0.5), [B, U]))),
    tf.variable(tf.tensor2d(randomValues(I * G, 30 + d), [I, G])),
    tf.variable(tf.tensor2d(randomValues(U * G, 40 + d, 0.5), [U, G])),
    tf.variable(tf.tensor1d(randomValues(G, 50 + d))),
  ]);
  const probe = tf.tensor3d(randomValues(B * T * 2 * U, 60), [B, T, 2 * U]);
  const directions = [0, 1].map((d) => {
    const p = params.slice(d * (nStates + 3), (d + 1) * (nStates + 3));
    return { reverse: d === 1, states: p.slice(0, nStates) as tf.Tensor2D[], kernel: p[nStates] as tf.Tensor2D,
      recurrentKernel: p[nStates + 1] as tf.Tensor2D, bias: p[nStates + 2] as tf.Tensor1D };
  });
  const run = async (maxBindingBytes?: number) => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(recurrentSequenceWebGpu(cell, x, directions, maxBindingBytes), probe)), [x, ...params]);
    const out = await Promise.all([value, ...[x, ...params].map((v) => grads[v.name])].map(async (t) => (await t.data()) as Float32Array));
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  const whole = await run();
  // Room for 3 sequences a chunk: chunks of 3, 3 and 1 rows.
  const chunked = await run(3 * T * 2 * (cell === 'lstm' ? 8 : 6) * U * 4);
  whole.forEach((expected, i) => assertClose(chunked[i], expected, `tensor ${i}`, 1e-5));
  assert.throws(() => recurrentSequenceWebGpu(cell, x as tf.Tensor3D, directions, 16), /needs .* MiB a sequence, over this adapter's maxStorageBufferBindingSize/);
  tf.dispose([x, ...params, probe]);
}

function restoreEnv(name: string, saved: string | undefined): void {
  if (saved === undefined) delete process.env[name];
  else process.env[name] = saved;
}

describe('webgpu fused recurrence against the float64 reference', { skip }, () => {
  let savedPath: string | undefined;
  before(async () => {
    savedPath = process.env.TIDAL_RECURRENCE;
    delete process.env.TIDAL_RECURRENCE;
    await selectBackend('webgpu');
  });
  after(async () => {
    if (savedPath === undefined) delete process.env.TIDAL_RECURRENCE;
    else process.env.TIDAL_RECURRENCE = savedPath;
    await selectBackend('cpu');
  });

  it("takes the 'webgpu' path on the webgpu backend, and names it and its LSTM steps for the manifest", () => {
    const savedStep = process.env.TIDAL_WEBGPU_STEP;
    try {
      delete process.env.TIDAL_WEBGPU_STEP;
      assert.equal(recurrencePath(), 'webgpu');
      assert.equal(recurrenceKernelName(), `webgpu-auto${TILED_MIN_UNITS}`);
      process.env.TIDAL_WEBGPU_STEP = 'tiled';
      assert.equal(recurrenceKernelName(), 'webgpu-tiled');
      process.env.TIDAL_WEBGPU_STEP = 'plain';
      assert.equal(recurrenceKernelName(), 'webgpu-plain');
      process.env.TIDAL_WEBGPU_STEP = 'fast';
      assert.throws(() => recurrenceKernelName(), /TIDAL_WEBGPU_STEP must be 'plain', 'tiled' or 'auto', got 'fast'/);
      process.env.TIDAL_RECURRENCE = 'ops';
      assert.equal(recurrenceKernelName(), 'ops');
    } finally {
      delete process.env.TIDAL_RECURRENCE;
      restoreEnv('TIDAL_WEBGPU_STEP', savedStep);
    }
  });

  const small = { batch: 3, time: 7, inputSize: 4, units: 5 };
  // Every case on both step programs.
  for (const step of ['plain', 'tiled'] as const) {
    describe(`TIDAL_WEBGPU_STEP=${step}`, () => {
      let savedStep: string | undefined;
      before(() => {
        savedStep = process.env.TIDAL_WEBGPU_STEP;
        process.env.TIDAL_WEBGPU_STEP = step;
      });
      after(() => restoreEnv('TIDAL_WEBGPU_STEP', savedStep));
      const suffix = step === 'tiled' ? 'Tiled' : '';
      for (const cell of ['lstm', 'gru'] as const) {
        const expect = `${cell === 'lstm' ? 'LstmForwardStep' : 'GruForwardGates'}${suffix}`;
        for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
          for (const initialState of [false, true]) {
            it(`${cell} ${direction}${initialState ? ' with initial states' : ''}, batch 3 hidden 5`, async () => {
              await compareWithReference({ cell, direction, initialState, ...small, returnSequences: true, merge: 'concat' }, expect);
            });
          }
        }
        it(`${cell} reverse, last step only`, async () => {
          await compareWithReference({ cell, direction: 'reverse', initialState: false, ...small, returnSequences: false, merge: 'concat' }, expect);
        });
        it(`${cell} bidirectional, last step only and summed directions`, async () => {
          await compareWithReference({ cell, direction: 'bidirectional', initialState: true, ...small, returnSequences: false, merge: 'sum' }, expect);
        });
        it(`${cell}: a batch over the binding limit runs in row chunks with the same outputs and gradients`, async () => {
          await compareChunked(cell);
        });
        it(`${cell} bidirectional with initial states, batch 64 hidden 64`, async () => {
          await compareWithReference({ cell, direction: 'bidirectional', initialState: true, batch: 64, time: 4, inputSize: 12, units: 64, returnSequences: true, merge: 'concat' }, expect);
        });
        // Rows and units past a tile (64 rows; 16, 32 or 64 units) and a depth of several k chunks.
        it(`${cell} bidirectional with initial states, batch 70 hidden 20 (partial tiles)`, async () => {
          await compareWithReference({ cell, direction: 'bidirectional', initialState: true, batch: 70, time: 3, inputSize: 6, units: 20, returnSequences: true, merge: 'concat' }, expect);
        });
      }
    });
  }

  it(`TIDAL_WEBGPU_STEP unset: a layer of ${TILED_MIN_UNITS} units or more runs tiled, a smaller one plain`, async () => {
    const savedStep = process.env.TIDAL_WEBGPU_STEP;
    delete process.env.TIDAL_WEBGPU_STEP;
    try {
      await compareWithReference({ cell: 'lstm', direction: 'reverse', initialState: false, batch: 5, time: 3, inputSize: 4, units: TILED_MIN_UNITS + 3, returnSequences: true, merge: 'concat' }, 'LstmForwardStepTiled');
      await compareWithReference({ cell: 'lstm', direction: 'forward', initialState: false, batch: 5, time: 3, inputSize: 4, units: TILED_MIN_UNITS - 1, returnSequences: true, merge: 'concat' }, 'LstmForwardStep');
      await compareWithReference({ cell: 'gru', direction: 'forward', initialState: true, batch: 5, time: 3, inputSize: 4, units: TILED_MIN_UNITS, returnSequences: true, merge: 'concat' }, 'GruForwardGatesTiled');
    } finally {
      restoreEnv('TIDAL_WEBGPU_STEP', savedStep);
    }
  });
});

describe('recurrence path selection without webgpu', () => {
  it('TIDAL_RECURRENCE=webgpu on another backend is an error naming it', async () => {
    const saved = process.env.TIDAL_RECURRENCE;
    await selectBackend('cpu');
    process.env.TIDAL_RECURRENCE = 'webgpu';
    try {
      assert.throws(() => recurrencePath(), /TIDAL_RECURRENCE=webgpu needs the webgpu backend, not 'cpu'/);
    } finally {
      if (saved === undefined) delete process.env.TIDAL_RECURRENCE;
      else process.env.TIDAL_RECURRENCE = saved;
    }
  });
});
