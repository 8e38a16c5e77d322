import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { C_VALUES, R_VALUES, ROWS_PER_BREATH } from '../../dataset/index.ts';
import { PRESSURE_LEVELS, createRng, deriveSeed, levelPressure } from '../../core/index.ts';
import { simulateDataset } from '../../simulator/simulator.ts';
import type { ModelDefinition, OutputKind } from '../../models/model-definition.ts';
import { getModel, listModels } from '../../models/registry.ts';
import {
  AdamOptimizer,
  augmentBatch,
  clipByGlobalNorm,
  decodePressure,
  epochOrder,
  fitFold,
  inspiratoryMaeFromMask,
  learningRateAt,
  loadCheckpoint,
  oneHotColumns,
  predictBreaths,
  readResumeState,
  resolveRecipe,
  updatePlateau,
  initialPlateauState,
  type FoldData,
  type RecipeInput,
} from '../../models/training/index.ts';

await tf.setBackend('cpu');

const FEATURE_NAMES = ['time_step', 'u_in', 'u_out', 'area', ...R_VALUES.map((r) => `R_${r}`), ...C_VALUES.map((c) => `C_${c}`)];
const F = FEATURE_NAMES.length;

/** A small model-ready layout from the simulator: a few scaled raw features and the one-hots. */
function simulatedLayout(breaths: number, seed: number): FoldData {
  const { train } = simulateDataset({ breaths, testBreaths: 0, seed });
  const rows = breaths * ROWS_PER_BREATH;
  const x = new Float32Array(rows * F);
  for (let b = 0; b < breaths; b++) {
    let area = 0;
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      const i = b * ROWS_PER_BREATH + r;
      const dt = r === 0 ? 0 : train.timeStep[i] - train.timeStep[i - 1];
      area += dt * train.uIn[i];
      const row = x.subarray(i * F, (i + 1) * F);
      row[0] = train.timeStep[i];
      row[1] = train.uIn[i] / 50;
      row[2] = train.uOut[i];
      row[3] = area / 20;
      row[4 + R_VALUES.indexOf(train.R[b] as 5)] = 1;
      row[7 + C_VALUES.indexOf(train.C[b] as 10)] = 1;
    }
  }
  return {
    x,
    mask: Uint8Array.from(train.uOut, (u) => 1 - u),
    target: Float32Array.from(train.pressure!),
    nBreaths: breaths,
    nFeatures: F,
    featureNames: FEATURE_NAMES,
  };
}

interface TinyConfig {
  units: number;
  kind: OutputKind;
}

/** Per-row dense model from stock tfjs layers, seeded. */
const tinyDense: ModelDefinition<TinyConfig> = {
  name: 'tiny-dense',
  description: 'test model: Dense(units, relu) -> Dense(channels) per row',
  defaults: { units: 16, kind: 'pressure' },
  small: { units: 16, kind: 'pressure' },
  featureSet: 'raw',
  outputKind: (c) => c.kind,
  check() {},
  build(config, inputFeatures, seed) {
    const channels = { pressure: 1, 'two-head': 2, 'multi-target': 3, levels: PRESSURE_LEVELS }[config.kind];
    const input = tf.input({ shape: [ROWS_PER_BREATH, inputFeatures] });
    const hidden = tf.layers
      .dense({ units: config.units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'd1') }) })
      .apply(input) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({
        units: channels,
        kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'd2') }),
        biasInitializer: tf.initializers.constant({ value: config.kind === 'levels' ? 0 : 15 }),
      })
      .apply(hidden) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
  },
};

const data = simulatedLayout(160, 5);
const trainIdx = Int32Array.from({ length: 120 }, (_, i) => i);
const validIdx = Int32Array.from({ length: 40 }, (_, i) => 120 + i);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tidal-training-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function fit(name: string, recipe: RecipeInput, extra: Partial<Parameters<typeof fitFold<TinyConfig>>[0]> = {}) {
  return fitFold({
    definition: tinyDense,
    config: { units: 16, kind: 'pressure' },
    data,
    trainIdx,
    validIdx,
    recipe: { batchSize: 32, lr: 0.01, ...recipe },
    seed: 42,
    checkpointDir: join(dir, name),
    ...extra,
  });
}

describe('fitFold', () => {
  it('a few epochs lower the training loss and the validation inspiratory MAE', async () => {
    const result = await fit('learn', { epochs: 6, lr: 0.03 });
    const h = result.history;
    assert.equal(h.length, 6);
    assert.ok(h[5].trainLoss < h[0].trainLoss * 0.95, `train loss ${h[0].trainLoss} -> ${h[5].trainLoss}`);
    assert.ok(result.bestValidMae < h[0].validMae, `valid MAE ${h[0].validMae} -> best ${result.bestValidMae}`);
    assert.equal(result.oof.length, validIdx.length * ROWS_PER_BREATH);
    // The returned OOF scores what the history says of the best epoch.
    const validMask = Float32Array.from({ length: result.oof.length }, (_, i) => data.mask[120 * ROWS_PER_BREATH + i]);
    const mae = inspiratoryMaeFromMask(result.oof, data.target.subarray(120 * ROWS_PER_BREATH), validMask);
    assert.ok(Math.abs(mae - result.bestValidMae) < 1e-9);
    assert.equal(h[result.bestEpoch - 1].validMae, result.bestValidMae);
    assert.equal(existsSync(join(dir, 'learn.resume')), false, 'resume state removed once the fold is done');
  });

  it('the saved best checkpoint reloads to the returned OOF', async () => {
    const testLayout = simulatedLayout(12, 77);
    const result = await fit('reload', { epochs: 3 }, { test: { x: testLayout.x, nBreaths: 12, mask: testLayout.mask } });
    const model = await loadCheckpoint(join(dir, 'reload'));
    const oof = await predictBreaths(model, 'pressure', { x: data.x, inspiratory: data.mask, nFeatures: F }, validIdx, { batchSize: 64, levels: 'expected' });
    const testPred = await predictBreaths(model, 'pressure', { x: testLayout.x, inspiratory: testLayout.mask, nFeatures: F }, Int32Array.from({ length: 12 }, (_, i) => i), { batchSize: 64, levels: 'expected' });
    model.dispose();
    assert.deepEqual(Buffer.from(oof.buffer), Buffer.from(result.oof.buffer));
    assert.deepEqual(Buffer.from(testPred.buffer), Buffer.from(result.test!.buffer));
  });

  it('same seed, same backend: identical OOF and checkpoint bytes; another seed differs', async () => {
    const recipe: RecipeInput = { epochs: 2, augmentation: { mixupProbability: 0.5, maskRProbability: 0.3 } };
    const a = await fit('det-a', recipe);
    const b = await fit('det-b', recipe);
    assert.deepEqual(Buffer.from(a.oof.buffer), Buffer.from(b.oof.buffer));
    assert.deepEqual(readFileSync(join(dir, 'det-a', 'weights.bin')), readFileSync(join(dir, 'det-b', 'weights.bin')));
    const c = await fit('det-c', recipe, { seed: 43 });
    assert.notDeepEqual(Buffer.from(a.oof.buffer), Buffer.from(c.oof.buffer));
  });

  it('a run killed after epoch 2 resumes to the same result as 4 epochs straight', async () => {
    // Everything with state: AdamW, cosine decay, clipping, augmentation, a loss holding a variable.
    const recipe: RecipeInput = {
      epochs: 4,
      optimizer: { kind: 'adamw', weightDecay: 0.05 },
      schedule: { kind: 'cosine', decayFraction: 0.5, minLr: 1e-4 },
      clipNorm: 5,
      loss: 'laplace-nll',
      augmentation: { mixupProbability: 0.3, maskCProbability: 0.3 },
    };
    const straight = await fit('straight', recipe);
    const resumeDir = join(dir, 'killed.resume');
    await assert.rejects(
      fit('killed', recipe, {
        onEpoch: (record) => {
          if (record.epoch === 2) throw new Error('killed');
        },
      }),
      /killed/,
    );
    const saved = readResumeState(resumeDir);
    assert.equal(saved?.epochsDone, 2);
    const resumed = await fit('killed', recipe);
    assert.deepEqual(Buffer.from(resumed.oof.buffer), Buffer.from(straight.oof.buffer));
    assert.deepEqual(resumed.history.map((h) => h.validMae), straight.history.map((h) => h.validMae));
    assert.deepEqual(readFileSync(join(dir, 'killed', 'weights.bin')), readFileSync(join(dir, 'straight', 'weights.bin')));
  });

  it('a resume state for another recipe is refused', async () => {
    await assert.rejects(
      fit('other', { epochs: 3 }, { onEpoch: () => { throw new Error('stop'); } }),
      /stop/,
    );
    await assert.rejects(fit('other', { epochs: 3, lr: 0.02 }), /resume state was written for another/);
  });

  it('early stopping stops after `patience` epochs without a better validation MAE', async () => {
    // A learning rate this large makes the validation MAE bounce.
    const result = await fit('early', { epochs: 40, lr: 3, patience: 2 });
    assert.ok(result.history.length < 40, `ran ${result.history.length} epochs`);
    assert.equal(result.history.length, result.bestEpoch + 2);
    assert.ok(result.history.slice(-2).every((h) => !h.best && h.validMae >= result.bestValidMae));
  });

  it('tensor count stays flat across epochs', async () => {
    const counts: number[] = [];
    await fit('leak', { epochs: 4, clipNorm: 1, augmentation: { mixupProbability: 0.5 } }, { onEpoch: () => void counts.push(tf.memory().numTensors) });
    assert.equal(new Set(counts).size, 1, `numTensors per epoch: ${counts}`);
  });

  it('trains the two-head and levels output kinds with their default losses', async () => {
    // Few breaths: 950 logits per row are slow on the cpu backend.
    for (const kind of ['two-head', 'levels'] as const) {
      const result = await fitFold({
        definition: tinyDense,
        config: { units: 16, kind },
        data,
        trainIdx: trainIdx.subarray(0, 16),
        validIdx: validIdx.subarray(0, 8),
        recipe: { epochs: 1, batchSize: 16, lr: 0.01 },
        seed: 1,
        checkpointDir: join(dir, `kind-${kind}`),
      });
      assert.ok(Number.isFinite(result.bestValidMae) && result.bestValidMae < 20, `${kind}: ${result.bestValidMae}`);
    }
  });
});

describe('fitFold with every registered model', () => {
  // Every model takes any feature count, so the small test layout serves them all.
  for (const name of listModels()) {
    it(`${name}: one epoch of its small config trains, and the checkpoint reloads to the OOF`, async () => {
      const definition = getModel(name);
      const checkpointDir = join(dir, `zoo-${name}`);
      const result = await fitFold({
        definition,
        config: definition.small,
        data,
        trainIdx: trainIdx.subarray(0, 8),
        validIdx: validIdx.subarray(0, 4),
        recipe: { epochs: 1, batchSize: 8 },
        seed: 3,
        checkpointDir,
      });
      assert.ok(Number.isFinite(result.bestValidMae), `${name}: ${result.bestValidMae}`);
      const model = await loadCheckpoint(checkpointDir);
      const oof = await predictBreaths(model, definition.outputKind(definition.small), { x: data.x, inspiratory: data.mask, nFeatures: F }, validIdx.subarray(0, 4), {
        batchSize: 8,
        levels: 'expected',
      });
      model.dispose();
      assert.deepEqual(Buffer.from(oof.buffer), Buffer.from(result.oof.buffer));
    });
  }
});

describe('training parts', () => {
  it('epoch order depends only on (seed, epoch) and is a permutation', () => {
    const a = epochOrder(trainIdx, 7, 3);
    assert.deepEqual(a, epochOrder(trainIdx, 7, 3));
    assert.notDeepEqual(a, epochOrder(trainIdx, 7, 4));
    assert.deepEqual(Array.from(a).sort((x, y) => x - y), Array.from(trainIdx));
  });

  it('schedules: cosine over the last quarter, restarts, reduce on plateau', () => {
    const cos = { kind: 'cosine', decayFraction: 0.25, minLr: 0 } as const;
    assert.equal(learningRateAt(cos, 1, 70, 100), 1);
    assert.ok(Math.abs(learningRateAt(cos, 1, 87.5, 100) - 0.5) < 1e-12);
    assert.ok(learningRateAt(cos, 1, 100, 100) < 1e-12);
    const sgdr = { kind: 'cosine-restarts', cycleEpochs: 10, cycleMult: 2, minLr: 0.1 } as const;
    assert.equal(learningRateAt(sgdr, 1, 0, 100), 1);
    assert.equal(learningRateAt(sgdr, 1, 10, 100), 1); // second cycle starts
    assert.ok(Math.abs(learningRateAt(sgdr, 1, 20, 100) - 0.55) < 1e-12); // middle of the 20-epoch cycle
    const plateau = { kind: 'plateau', factor: 0.5, patience: 2, minLr: 0.2 } as const;
    let s = initialPlateauState();
    for (const mae of [5, 4, 4.5, 4.2]) s = updatePlateau(plateau, 1, s, mae);
    assert.equal(learningRateAt(plateau, 1, 4, 10, s), 0.5);
    for (const mae of [4.1, 4.1, 4.1, 4.1]) s = updatePlateau(plateau, 1, s, mae);
    assert.equal(learningRateAt(plateau, 1, 8, 10, s), 0.2); // floored at minLr
  });

  it('Adam first step moves each weight by lr * sign(g); AdamW also decays by lr * wd', () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    const adam = new AdamOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, [w]);
    tf.tidy(() => adam.apply([tf.tensor1d([0.5, -4, 0])], 0.1));
    const a = w.dataSync();
    assert.ok(Math.abs(a[0] - 0.9) < 1e-6 && Math.abs(a[1] + 1.9) < 1e-6 && a[2] === 3, `adam ${a}`);
    const v = tf.variable(tf.tensor1d([2]));
    const adamw = new AdamOptimizer({ kind: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.5 }, [v]);
    tf.tidy(() => adamw.apply([tf.tensor1d([0])], 0.1));
    assert.ok(Math.abs(v.dataSync()[0] - 2 * (1 - 0.05)) < 1e-6);
    adam.dispose();
    adamw.dispose();
    w.dispose();
    v.dispose();
  });

  it('clipByGlobalNorm scales all gradients together', () => {
    const [a, b] = clipByGlobalNorm([tf.tensor1d([3]), tf.tensor1d([4])], 1);
    assert.ok(Math.abs(a.dataSync()[0] - 0.6) < 1e-6 && Math.abs(b.dataSync()[0] - 0.8) < 1e-6);
    const [c] = clipByGlobalNorm([tf.tensor1d([0.3])], 1);
    assert.ok(Math.abs(c.dataSync()[0] - 0.3) < 1e-6);
  });

  it('augmentation masks exactly the R (or C) one-hot columns, and mixup mixes breaths convexly', () => {
    const names = ['u_in', 'R_5', 'R_20', 'R_50', 'C_10', 'C_20', 'C_50', 'R_C_5_10', 'R'];
    const cols = oneHotColumns(names);
    assert.deepEqual(cols, { r: [1, 2, 3, 7], c: [4, 5, 6, 7] });
    const f = names.length;
    const n = 4;
    const x = Float32Array.from({ length: n * ROWS_PER_BREATH * f }, (_, i) => 1 + (i % 7));
    const batch = { x: x.slice(), target: new Float32Array(n * ROWS_PER_BREATH).fill(10), inspiratory: new Float32Array(n * ROWS_PER_BREATH).fill(1), n, nFeatures: f };
    augmentBatch(batch, { maskRProbability: 1, maskCProbability: 0, mixupProbability: 0, mixupAlpha: 0.4 }, cols, createRng(1, 't'));
    for (let i = 0; i < x.length; i++) {
      const c = i % f;
      assert.equal(batch.x[i], cols.r.includes(c) ? 0 : x[i]);
    }
    const t = Float32Array.from({ length: n * ROWS_PER_BREATH }, (_, i) => Math.floor(i / ROWS_PER_BREATH) * 10);
    const mixed = { x: x.slice(), target: t.slice(), inspiratory: new Float32Array(t.length).fill(1), n, nFeatures: f };
    augmentBatch(mixed, { maskRProbability: 0, maskCProbability: 0, mixupProbability: 1, mixupAlpha: 0.4 }, cols, createRng(2, 't'));
    let changed = 0;
    for (let b = 0; b < n; b++) {
      const v = mixed.target[b * ROWS_PER_BREATH];
      assert.ok(v >= 0 && v <= 30);
      if (v !== t[b * ROWS_PER_BREATH]) changed++;
      for (let r = 1; r < ROWS_PER_BREATH; r++) assert.equal(mixed.target[b * ROWS_PER_BREATH + r], v);
    }
    assert.ok(changed >= 3);
  });

  it('decodePressure: two-head picks the phase head, levels by expected value or arg-max', async () => {
    const two = tf.tensor3d([[[1, 2], [3, 4]]]);
    assert.deepEqual(Array.from(await decodePressure('two-head', two, { inspiratory: [1, 0] })), [1, 4]);
    await assert.rejects(decodePressure('two-head', two), /needs the inspiratory mask/);
    const logits = new Float32Array(2 * PRESSURE_LEVELS).fill(-30);
    logits[100] = 0; // row 0: all mass on level 100
    logits[PRESSURE_LEVELS + 200] = 1; // row 1: levels 200 and 201, weights e:1
    logits[PRESSURE_LEVELS + 201] = 0;
    const t = tf.tensor3d(logits, [1, 2, PRESSURE_LEVELS]);
    const expected = await decodePressure('levels', t);
    const w = Math.E / (Math.E + 1);
    assert.ok(Math.abs(expected[0] - levelPressure(100)) < 1e-4);
    assert.ok(Math.abs(expected[1] - (w * levelPressure(200) + (1 - w) * levelPressure(201))) < 1e-4);
    const argmax = await decodePressure('levels', t, { levels: 'argmax' });
    assert.deepEqual(Array.from(argmax), [Math.fround(levelPressure(100)), Math.fround(levelPressure(200))]);
    tf.dispose([two, t]);
  });

  it('recipe: defaults filled, bad fields named', () => {
    const r = resolveRecipe({ epochs: 3, optimizer: { kind: 'adamw' } });
    assert.equal(r.batchSize, 128);
    assert.equal(r.optimizer.kind === 'adamw' && r.optimizer.weightDecay, 0.01);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
    assert.throws(() => resolveRecipe({ epochs: 0 }), /epochs must be a positive integer, got 0/);
    assert.throws(() => resolveRecipe({ schedule: { kind: 'cosine', decayFraction: 2, minLr: 0 } }), /schedule.decayFraction/);
    assert.throws(() => resolveRecipe({ augmentation: { maskRProbability: 1.5 } }), /augmentation.maskRProbability/);
    assert.throws(() => resolveRecipe({ optimizer: { kind: 'adam', weightDecay: 0.1 } as never }), /optimizer.weightDecay/);
  });
});
