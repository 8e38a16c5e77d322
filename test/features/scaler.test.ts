import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { applyScaler, buildFeatures, fitScaler, readScaler, writeScaler, type FeatureLayout } from '../../features/index.ts';
import { sampleTrain } from './sample-data.ts';

const layout = buildFeatures(sampleTrain(40), 'full');
const train = Int32Array.from({ length: 30 }, (_, i) => i + 5);
const valid = [0, 1, 2, 3, 4, 35, 36, 37, 38, 39];

function trainValues(k: number): number[] {
  const out: number[] = [];
  for (const b of train) for (let r = 0; r < ROWS_PER_BREATH; r++) out.push(layout.features[(b * ROWS_PER_BREATH + r) * layout.nFeatures + k]);
  return out.sort((a, b) => a - b);
}

function linearQuantile(sorted: number[], q: number): number {
  const position = q * (sorted.length - 1);
  const k = Math.floor(position);
  return k + 1 < sorted.length ? sorted[k] + (position - k) * (sorted[k + 1] - sorted[k]) : sorted[k];
}

const column = (name: string) => layout.featureNames.indexOf(name);

test('robust scaler: median and IQR of the training rows; binary columns untouched', () => {
  const fitted = fitScaler('robust', layout, train);
  for (const name of ['u_in', 'u_in_cumsum', 'time_step', 'u_in_lag2']) {
    const values = trainValues(column(name));
    const iqr = linearQuantile(values, 0.75) - linearQuantile(values, 0.25);
    assert.ok(Math.abs(fitted.center[column(name)] - linearQuantile(values, 0.5)) < 1e-6, name);
    assert.ok(Math.abs(fitted.scale[column(name)] - iqr) < 1e-5 * Math.max(1, iqr), name);
  }
  const scaled = applyScaler(fitted, layout);
  for (const name of ['u_out', 'R_5', 'R_C_50_50', 'u_out_lead3']) {
    const k = column(name);
    assert.equal(fitted.center[k], 0);
    assert.equal(fitted.scale[k], 1);
    for (let i = k; i < layout.features.length; i += layout.nFeatures) assert.equal(scaled.features[i], layout.features[i]);
  }
  const k = column('u_in');
  const i = (3 * ROWS_PER_BREATH + 10) * layout.nFeatures + k;
  assert.ok(Math.abs(scaled.features[i] - (layout.features[i] - fitted.center[k]) / fitted.scale[k]) < 1e-5);
  assert.equal(scaled.inspiratory, layout.inspiratory);
});

test('scaling in place or into a given array gives the same values as a new array', () => {
  const fitted = fitScaler('robust', layout, train);
  const expected = applyScaler(fitted, layout).features;
  const own = { ...layout, features: layout.features.slice() };
  const inPlace = applyScaler(fitted, own, own.features);
  assert.equal(inPlace.features, own.features);
  assert.deepEqual(inPlace.features, expected);
  const joined = new Float32Array(layout.features.length + 5);
  assert.deepEqual(applyScaler(fitted, layout, joined.subarray(5)).features, expected);
  assert.throws(() => applyScaler(fitted, layout, joined), /output values for/);
});

test('standard scaler: mean and population standard deviation of the training rows', () => {
  const fitted = fitScaler('standard', layout, train);
  for (const name of ['u_in', 'area', 'u_in_ewm9']) {
    const values = trainValues(column(name));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    assert.ok(Math.abs(fitted.center[column(name)] - mean) < 1e-6 * Math.max(1, Math.abs(mean)), name);
    assert.ok(Math.abs(fitted.scale[column(name)] - sd) < 1e-6 * Math.max(1, sd), name);
  }
});

test('scaler none is the identity', () => {
  const scaled = applyScaler(fitScaler('none', layout, train), layout);
  assert.deepEqual(scaled.features, layout.features);
});

function withValidationReplaced(source: FeatureLayout, value: (i: number) => number): FeatureLayout {
  const features = source.features.slice();
  const rowValues = ROWS_PER_BREATH * source.nFeatures;
  for (const b of valid) for (let i = b * rowValues; i < (b + 1) * rowValues; i++) features[i] = value(i);
  return { ...source, features };
}

for (const kind of ['robust', 'standard'] as const) {
  test(`${kind} scaler is fitted on training rows only: changing validation rows leaves it unchanged`, () => {
    const fitted = fitScaler(kind, layout, train);
    const changed = withValidationReplaced(layout, (i) => 1000 + (i % 977));
    assert.deepEqual(fitScaler(kind, changed, train), fitted);
    // And the check can fail: the same change made to a training breath moves the statistics.
    const trainChanged = { ...layout, features: layout.features.slice() };
    const rowValues = ROWS_PER_BREATH * layout.nFeatures;
    for (let i = train[0] * rowValues; i < (train[0] + 3) * rowValues; i++) trainChanged.features[i] = 1000 + (i % 977);
    assert.notDeepEqual(fitScaler(kind, trainChanged, train), fitted);
  });
}

test('a fitted scaler round-trips through JSON and a bad file names the file and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-scaler-'));
  const fitted = fitScaler('robust', layout, train);
  const path = join(dir, 'scaler.json');
  writeScaler(path, fitted);
  const read = readScaler(path);
  assert.deepEqual(read, fitted);
  assert.deepEqual(applyScaler(read, layout).features, applyScaler(fitted, layout).features);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...fitted, scale: fitted.scale.map((s, k) => (k === 2 ? 0 : s)) }));
  assert.throws(() => readScaler(bad), (err: Error) => err.message.includes(bad) && err.message.includes('"scale"[2]') && err.message.includes('u_out'));
});

test('applying a scaler to a layout with other features throws', () => {
  const fitted = fitScaler('robust', layout, train);
  const raw = buildFeatures(sampleTrain(3), 'raw');
  assert.throws(() => applyScaler(fitted, raw), /scaler fitted on/);
  assert.throws(() => fitScaler('robust', layout, [40]), /outside 0\.\.39/);
});
