import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROWS_PER_BREATH, type BreathTable } from '../../dataset/index.ts';
import { allocateBreath, computeColumns, createFeatureRegistry, featureRegistry, readBreath, type Feature, type InputColumn } from '../../features/index.ts';
import { cloneTable, sampleTrain } from './sample-data.ts';

const constant = (name: string, columns = [name]): Feature => ({
  name,
  description: 'test feature',
  needs: [],
  columns,
  binary: columns.map(() => false),
  compute: (_breath, out) => out.forEach((o) => o.fill(1)),
});

test('registering a duplicate feature name, a duplicate column or a bad set throws', () => {
  const registry = createFeatureRegistry();
  registry.register(constant('a'));
  assert.throws(() => registry.register(constant('a')), /'a' is already registered/);
  assert.throws(() => registry.register(constant('b', ['a'])), /column 'a' is already produced by 'a'/);
  assert.throws(() => registry.registerSet({ name: 's', description: '', features: ['a', 'zzz'] }), /unknown feature 'zzz'/);
  registry.registerSet({ name: 's', description: '', features: ['a'] });
  assert.throws(() => registry.registerSet({ name: 's', description: '', features: ['a'] }), /already registered/);
  assert.throws(() => registry.getSet('nope'), /unknown feature set 'nope'/);
});

test('the catalog registers the winners\' features and the raw, public and full sets', () => {
  const columns = (set: string) => featureRegistry.resolve(set).flatMap((f) => f.columns);
  assert.deepEqual(columns('raw'), ['time_step', 'u_in', 'u_out', 'R_5', 'R_20', 'R_50', 'C_10', 'C_20', 'C_50']);
  assert.deepEqual(
    featureRegistry.getSet('full').features,
    featureRegistry.list().map((f) => f.name),
  );
  const full = new Set(columns('full'));
  for (const name of [
    'u_in_cumsum', 'time_delta', 'area', 'area_delta', 'u_in_lag4', 'u_in_lead4', 'u_in_diff4', 'u_out_lag1', 'u_out_diff1',
    'u_in_max', 'u_in_mean', 'u_in_diffmax', 'u_in_diffmean', 'cross', 'cross2', 'u_in_cummean', 'time_step_cumsum',
    'u_in_ewm9', 'u_in_rolling15_sum', 'u_in_rolling15_min', 'u_in_rolling15_max', 'u_in_rolling15_mean', 'R_C_50_50', 'R', 'C',
  ]) {
    assert.ok(full.has(name), name);
  }
  for (const name of columns('public')) assert.ok(full.has(name), name);
  assert.equal(full.size, columns('full').length, 'column names are unique');
});

const table = sampleTrain(12);

for (const feature of featureRegistry.list()) {
  test(`feature ${feature.name} writes every row of every column with a finite value`, () => {
    for (let b = 0; b < table.nBreaths; b++) {
      const out = feature.columns.map(() => new Float32Array(ROWS_PER_BREATH).fill(Number.NaN));
      feature.compute(readBreath(table, b, allocateBreath()), out);
      for (const column of out) assert.ok(column.every(Number.isFinite), `breath ${b}`);
    }
  });

  test(`feature ${feature.name} reads only the inputs it declares (${feature.needs.join(', ')})`, () => {
    const before = computeColumns(table, [feature]);
    const perturbations: Record<InputColumn, (t: BreathTable) => void> = {
      timeStep: (t) => t.timeStep.forEach((v, i) => (t.timeStep[i] = v * 1.7 + 0.01)),
      uIn: (t) => t.uIn.forEach((v, i) => (t.uIn[i] = (v * 3.1 + 7) % 100)),
      uOut: (t) => t.uOut.forEach((v, i) => (t.uOut[i] = 1 - v)),
      R: (t) => t.R.forEach((v, b) => (t.R[b] = v === 50 ? 5 : 50)),
      C: (t) => t.C.forEach((v, b) => (t.C[b] = v === 50 ? 10 : 50)),
    };
    for (const input of Object.keys(perturbations) as InputColumn[]) {
      const perturbed = cloneTable(table);
      perturbations[input](perturbed);
      const after = computeColumns(perturbed, [feature]);
      const changed = [...before].some(([name, column]) => column.some((v, i) => v !== after.get(name)![i]));
      assert.equal(changed, feature.needs.includes(input), `${input} ${changed ? 'changes' : 'does not change'} the output`);
    }
  });

  test(`feature ${feature.name} does not read across breaths`, () => {
    const before = computeColumns(table, [feature]);
    const target = 5;
    const perturbed = cloneTable(table);
    perturbed.R[target] = perturbed.R[target] === 50 ? 5 : 50;
    perturbed.C[target] = perturbed.C[target] === 50 ? 10 : 50;
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      const i = target * ROWS_PER_BREATH + r;
      perturbed.uIn[i] = (perturbed.uIn[i] * 7.3 + 13 * r + 1) % 100;
      perturbed.uOut[i] = 1 - perturbed.uOut[i];
      perturbed.timeStep[i] = perturbed.timeStep[i] * 1.5 + 0.001 * r * r;
    }
    const after = computeColumns(perturbed, [feature]);
    const from = target * ROWS_PER_BREATH;
    const to = from + ROWS_PER_BREATH;
    let changedInside = false;
    for (const [name, column] of before) {
      const other = after.get(name)!;
      for (let i = 0; i < column.length; i++) {
        if (i >= from && i < to) changedInside ||= column[i] !== other[i];
        else assert.equal(other[i], column[i], `${name}, row ${i} (perturbed rows ${from}..${to - 1})`);
      }
    }
    assert.ok(changedInside, 'the perturbation reaches the feature');
  });
}
