import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { buildFeatures, computeColumns, featureSetHash, selectBreaths } from '../../features/index.ts';
import { sampleTest, sampleTrain } from './sample-data.ts';

test('the layout is [breaths, 80, features] with mask, target and names', () => {
  const table = sampleTrain(6);
  const layout = buildFeatures(table, 'public');
  const columns = computeColumns(table, 'public');
  assert.deepEqual(layout.featureNames, [...columns.keys()]);
  assert.equal(layout.nFeatures, columns.size);
  assert.equal(layout.features.length, 6 * ROWS_PER_BREATH * layout.nFeatures);
  layout.featureNames.forEach((name, k) => {
    const column = columns.get(name)!;
    for (const [b, r] of [[0, 0], [2, 41], [5, 79]]) {
      assert.equal(layout.features[(b * ROWS_PER_BREATH + r) * layout.nFeatures + k], column[b * ROWS_PER_BREATH + r], `${name} ${b}/${r}`);
    }
  });
  for (let i = 0; i < 6 * ROWS_PER_BREATH; i++) {
    assert.equal(layout.inspiratory[i], table.uOut[i] === 0 ? 1 : 0);
    assert.equal(layout.target![i], Math.fround(table.pressure![i]));
  }
  assert.deepEqual(layout.breathId, table.breathId);
  assert.equal(layout.binary[layout.featureNames.indexOf('u_out')], true);
  assert.equal(layout.binary[layout.featureNames.indexOf('u_in')], false);
});

test('test data has no target; raw has the 9 raw inputs', () => {
  const layout = buildFeatures(sampleTest(3), 'raw');
  assert.equal(layout.target, null);
  assert.equal(layout.nFeatures, 9);
});

test('same input, same bytes; the feature-set hash depends on the set', () => {
  const table = sampleTrain(5);
  assert.deepEqual(buildFeatures(table, 'full').features, buildFeatures(table, 'full').features);
  assert.equal(featureSetHash('full'), featureSetHash('full'));
  assert.notEqual(featureSetHash('full'), featureSetHash('public'));
});

test('selectBreaths keeps the chosen breaths in order', () => {
  const layout = buildFeatures(sampleTrain(5), 'raw');
  const picked = selectBreaths(layout, [4, 1]);
  const size = ROWS_PER_BREATH * layout.nFeatures;
  assert.deepEqual(picked.breathId, Int32Array.of(layout.breathId[4], layout.breathId[1]));
  assert.deepEqual(picked.features.subarray(0, size), layout.features.subarray(4 * size, 5 * size));
  assert.deepEqual(picked.target!.subarray(80, 160), layout.target!.subarray(80, 160));
  assert.throws(() => selectBreaths(layout, [5]), /outside/);
});
