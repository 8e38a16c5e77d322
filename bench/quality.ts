/**
 * The quality table: every registered model's `small` config, trained with the same budget on the
 * same simulated data and split, scored by validation inspiratory MAE, next to two baselines that
 * need no gradient: the per-(R, C, time-step) mean, and ridge regression on the `full` features
 * per row. Prints the table and writes docs/quality.md.
 *
 *   npm run quality [-- --breaths 2500 --epochs 10 --backend wasm --models bilstm,lstm-raw]
 *   npm run quality -- --pseudo [...]   test MAE with and without pseudo-labelling (bench/quality-pseudo.ts)
 *   npm run quality -- --side-by-side   the default run against PyTorch, same wall time (bench/quality-side-by-side.ts)
 *   npm run quality -- --curve          the default ensemble's test MAE against training breaths (bench/quality-curve.ts)
 *
 *   1. simulate the data set; one fixed split (fold 0 of a stratified 5-fold)
 *   2. baselines: rc-time-mean, ridge on robust-scaled `full` features (fitted on inspiratory
 *      training rows)
 *   3. each model: its feature set, robust scaler fitted on the training breaths, fitFold
 *   4. the table -> stdout and docs/quality.md
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ROWS_PER_BREATH, type BreathTable } from '../dataset/index.ts';
import { writeFileAtomic } from '../core/index.ts';
import { simulateDataset } from '../simulator/simulator.ts';
import { applyScaler, buildFeatures, fitScaler, type FeatureLayout } from '../features/index.ts';
import { assignFolds, foldBreathIndices } from '../folds/index.ts';
import { fitRcTimeMean, predictRcTimeMean } from '../models/baselines/rc-time-mean.ts';
import { selectBackend, type BackendName } from '../models/backend.ts';
import { lossFor } from '../models/losses/index.ts';
import { getModel, listModels } from '../models/registry.ts';
import { fitFold, foldDataFromLayout, gatherBreaths, inspiratoryMaeFromMask, type RecipeInput } from '../models/training/index.ts';
import { pseudoLabelQuality } from './quality-pseudo.ts';
import { curveMain } from './quality-curve.ts';
import { qualitySections } from './quality-default-run.ts';
import { sideBySideMain } from './quality-side-by-side.ts';

// Measurements with their own options and their own section of docs/quality.md.
if (process.argv.includes('--side-by-side')) {
  await sideBySideMain(process.argv.slice(2));
  process.exit(0);
}
if (process.argv.includes('--curve')) {
  await curveMain(process.argv.slice(2));
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    breaths: { type: 'string', default: '2500' },
    epochs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '2021' },
    backend: { type: 'string', default: 'wasm' },
    models: { type: 'string' },
    out: { type: 'string', default: 'docs/quality.md' },
    pseudo: { type: 'boolean', default: false },
  },
});
const breaths = Number(values.breaths);
const epochs = Number(values.epochs);
const seed = Number(values.seed);
const modelNames = values.models ? values.models.split(',') : listModels();

if (values.pseudo) {
  const models = values.models ? modelNames : ['lstm-raw'];
  const command = `npm run quality -- --pseudo --breaths ${breaths} --epochs ${epochs} --seed ${seed} --backend ${values.backend} --models ${models.join(',')}`;
  await pseudoLabelQuality({ breaths, epochs, seed, backend: values.backend!, models, out: values.out!, command });
  process.exit(0);
}

/** The budget every model gets. */
const RECIPE: RecipeInput = {
  epochs,
  batchSize: 32,
  lr: 1e-2,
  schedule: { kind: 'cosine', decayFraction: 0.5, minLr: 1e-3 },
  clipNorm: 10,
};

interface Row {
  name: string;
  featureSet: string;
  params: string;
  epochs: string;
  seconds: number;
  mae: number | null;
  note: string;
}

/** Solves the symmetric positive definite system A x = b (Cholesky), A n x n row-major. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (s <= 0) throw new Error('ridge: matrix not positive definite');
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/**
 * Ridge regression of pressure on the row's features (plus an intercept), fitted on the
 * inspiratory rows of the training breaths; returns predictions for every row of `predict`.
 */
function ridge(layout: FeatureLayout, train: ArrayLike<number>, predict: ArrayLike<number>, lambda: number): Float32Array {
  const f = layout.nFeatures;
  const n = f + 1;
  const xtx = new Float64Array(n * n);
  const xty = new Float64Array(n);
  const row = new Float64Array(n);
  let count = 0;
  for (let i = 0; i < train.length; i++) {
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      const at = train[i] * ROWS_PER_BREATH + r;
      if (!layout.inspiratory[at]) continue;
      for (let k = 0; k < f; k++) row[k] = layout.features[at * f + k];
      row[f] = 1;
      const y = layout.target![at];
      for (let a = 0; a < n; a++) {
        xty[a] += row[a] * y;
        for (let b = 0; b <= a; b++) xtx[a * n + b] += row[a] * row[b];
      }
      count++;
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) xtx[b * n + a] = xtx[a * n + b];
  // The intercept is not penalised.
  for (let a = 0; a < f; a++) xtx[a * n + a] += lambda * count;
  const w = solveSpd(xtx, xty, n);
  const out = new Float32Array(predict.length * ROWS_PER_BREATH);
  for (let i = 0; i < predict.length; i++) {
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      const at = predict[i] * ROWS_PER_BREATH + r;
      let s = w[f];
      for (let k = 0; k < f; k++) s += w[k] * layout.features[at * f + k];
      out[i * ROWS_PER_BREATH + r] = s;
    }
  }
  return out;
}

function validMae(pred: ArrayLike<number>, table: BreathTable, valid: ArrayLike<number>): number {
  const target = new Float64Array(valid.length * ROWS_PER_BREATH);
  const mask = new Uint8Array(valid.length * ROWS_PER_BREATH);
  for (let i = 0; i < valid.length; i++) {
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      target[i * ROWS_PER_BREATH + r] = table.pressure![valid[i] * ROWS_PER_BREATH + r];
      mask[i * ROWS_PER_BREATH + r] = table.uOut[valid[i] * ROWS_PER_BREATH + r] === 0 ? 1 : 0;
    }
  }
  return inspiratoryMaeFromMask(pred, target, mask);
}

const fmt = (x: number | null, digits = 3) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits));

// 1. data and split
const backend = await selectBackend(values.backend as BackendName | 'auto');
const started = performance.now();
const { train: table } = simulateDataset({ breaths, testBreaths: 0, seed });
const folds = assignFolds(table, { nFolds: 5, seed, stratified: true });
const { train, valid } = foldBreathIndices(folds, table.breathId, 0);
console.log(`${breaths} simulated breaths (seed ${seed}): ${train.length} train, ${valid.length} valid; backend ${backend.name}`);
const rows: Row[] = [];

// 2. baselines
{
  const t0 = performance.now();
  const rc = fitRcTimeMean(table, train);
  const all = predictRcTimeMean(rc, table);
  const pred = gatherBreaths(Float32Array.from(all), valid, ROWS_PER_BREATH);
  rows.push({ name: 'rc-time-mean (baseline)', featureSet: '-', params: String(9 * ROWS_PER_BREATH), epochs: '-', seconds: (performance.now() - t0) / 1000, mae: validMae(pred, table, valid), note: 'mean pressure per (R, C, row index)' });
}
const layouts = new Map<string, FeatureLayout>();
function scaledLayout(set: string): FeatureLayout {
  let layout = layouts.get(set);
  if (!layout) {
    const raw = buildFeatures(table, set);
    layout = applyScaler(fitScaler('robust', raw, train), raw);
    layouts.set(set, layout);
  }
  return layout;
}
{
  const full = scaledLayout('full');
  const t0 = performance.now();
  const pred = ridge(full, train, valid, 1e-4);
  rows.push({ name: 'ridge on `full` (baseline)', featureSet: 'full', params: String(full.nFeatures + 1), epochs: '-', seconds: (performance.now() - t0) / 1000, mae: validMae(pred, table, valid), note: `${full.nFeatures} features per row, lambda 1e-4, inspiratory rows` });
}
for (const r of rows) console.log(`${r.name}: MAE ${fmt(r.mae)} (${r.seconds.toFixed(1)} s)`);

// 3. models
const scratch = mkdtempSync(join(tmpdir(), 'tidal-quality-'));
try {
  // Not timed: one short epoch of every model first. The first fit in a process warms tfjs's code
  // and grows the heaps, which cost the table's first model about a tenth of its seconds.
  for (const name of modelNames) {
    const definition = getModel(name);
    try {
      await fitFold({
        definition, config: definition.small, data: foldDataFromLayout(scaledLayout(definition.featureSet)),
        trainIdx: train.subarray(0, 256), validIdx: valid.subarray(0, 256), recipe: { ...RECIPE, epochs: 1 }, seed,
        checkpointDir: join(scratch, `warm-up ${name}`),
      });
    } catch {
      // The timed fit below fails the same way and reports it in the model's row.
    }
  }
  for (const name of modelNames) {
    const definition = getModel(name);
    let t0 = performance.now();
    try {
      const layout = scaledLayout(definition.featureSet);
      // Outside the model's seconds: only the first model of each feature set builds its features.
      t0 = performance.now();
      const outputKind = definition.outputKind(definition.small);
      const probe = definition.build(definition.small, layout.nFeatures, seed);
      const params = probe.countParams();
      probe.dispose();
      const result = await fitFold({
        definition,
        config: definition.small,
        data: foldDataFromLayout(layout),
        trainIdx: train,
        validIdx: valid,
        recipe: RECIPE,
        seed,
        checkpointDir: join(scratch, name),
        onEpoch: (h) => console.log(`  ${name} epoch ${h.epoch}: loss ${h.trainLoss.toFixed(3)}, valid MAE ${h.validMae.toFixed(3)} (${h.seconds.toFixed(1)} s)`),
      });
      rows.push({
        name,
        featureSet: definition.featureSet,
        params: String(params),
        epochs: `${result.history.length} (best ${result.bestEpoch})`,
        seconds: (performance.now() - t0) / 1000,
        mae: result.bestValidMae,
        note: `${outputKind} output, ${lossFor(outputKind, result.recipe.loss).name} loss`,
      });
    } catch (err) {
      rows.push({ name, featureSet: definition.featureSet, params: '-', epochs: '-', seconds: (performance.now() - t0) / 1000, mae: null, note: `failed: ${(err as Error).message.split('\n')[0]}` });
    }
    const last = rows[rows.length - 1];
    console.log(`${name}: MAE ${fmt(last.mae)} (${last.seconds.toFixed(1)} s) ${last.note}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// 4. table
const reference = rows[0].mae!;
const table_ = [
  '| model | feature set | params | epochs | seconds | valid inspiratory MAE | vs rc-time-mean | note |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.featureSet} | ${r.params} | ${r.epochs} | ${r.seconds.toFixed(1)} | ${fmt(r.mae)} | ${r.mae === null ? '-' : fmt(r.mae / reference, 2)} | ${r.note} |`),
].join('\n');
const total = (performance.now() - started) / 1000;
const command = `npm run quality -- --breaths ${breaths} --epochs ${epochs} --seed ${seed} --backend ${values.backend}${values.models ? ` --models ${values.models}` : ''}`;
const doc = `# Model quality on simulated data

What each registered model's \`small\` config reaches with the same small training budget, next to
two baselines that need no gradient. Written by \`bench/quality.ts\`; rerun it to refresh.

- Command: \`${command}\`
- Date: ${new Date().toUTCString()}
- Backend: ${backend.name} (tfjs ${tf.version.tfjs}); total wall time ${total.toFixed(0)} s on the project machine (2 shared cores)
- Data: ${breaths} breaths from the built-in simulator (seed ${seed}); one split, fold 0 of a stratified 5-fold:
  ${train.length} training and ${valid.length} validation breaths. Features robust-scaled, scaler fitted on the training breaths.
- Budget, the same for every model: ${JSON.stringify(RECIPE)} (Adam, default loss of the model's output kind).
  Best epoch by validation inspiratory MAE.

${table_}

How to read it: the MAE is over inspiratory rows (u_out == 0) of the validation breaths, the
competition metric. \`vs rc-time-mean\` is the ratio to the per-(R, C, row) mean: below 1 means the
model learned something from u_in. \`seconds\` is the fit alone (build, training, validation), after
an untimed warm-up epoch of every model and without the features a feature set's models share.
These are \`small\` configs trained for seconds to minutes on a few thousand breaths, so the table
ranks pipelines and catches broken models; it says little about what the full configs reach on
the real data (0.13-0.16 for good single models, docs/ventilator.md).
`;
console.log(`\n${table_}\n`);
// The side-by-side and curve sections (## headings) stay as their own runs wrote them.
writeFileAtomic(values.out!, `${doc}${qualitySections(values.out!)}`);
console.log(`wrote ${values.out} (${total.toFixed(0)} s)`);
