import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../core/index.ts';
import { simulateDataset } from '../../simulator/index.ts';
import { type BreathTable } from '../../dataset/index.ts';
import { assignFolds, foldsOf } from '../../folds/index.ts';
import { blendMethods, crossValidatedBlend, formatReport, inspiratoryMaeFromUOut, oofReport } from '../../submissions/index.ts';

/** Truth plus seeded noise: uniform on [-scale, scale], plus a bias. */
function noisy(table: BreathTable, seed: number, scale: number, bias = 0): Float32Array {
  const rng = createRng(seed, 'noisy-model');
  return Float32Array.from(table.pressure!, (p) => p + bias + scale * (2 * rng() - 1));
}

const { train } = simulateDataset({ breaths: 300, testBreaths: 0, seed: 5 });
const breathFold = Int32Array.from(foldsOf(assignFolds(train, { nFolds: 5, seed: 1, stratified: true }), train.breathId));

test('fitted weights recover a planted best model among noisy ones', () => {
  const models = [noisy(train, 1, 2), noisy(train, 2, 0.1), noisy(train, 3, 2, 0.5), noisy(train, 4, 3)];
  const blend = crossValidatedBlend(blendMethods.get('weights'), models, train, breathFold);
  const weights = blend.fit.weights!;
  assert.equal(weights.length, 4);
  assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.ok(weights.every((w) => w >= 0));
  assert.ok(weights[1] > 0.9, `planted model weight ${weights[1]}`);
  for (const fit of blend.foldFits.values()) assert.ok(fit.weights![1] > 0.9);
  const best = inspiratoryMaeFromUOut(models[1], train.pressure!, train.uOut);
  const blended = inspiratoryMaeFromUOut(blend.oof, train.pressure!, train.uOut);
  assert.ok(blended < best * 1.05, `blend ${blended} vs best model ${best}`);
});

test('the OOF blend is not optimistic: each row comes from weights fitted without its fold', () => {
  const models = [noisy(train, 11, 1), noisy(train, 12, 1), noisy(train, 13, 1)];
  const method = blendMethods.get('weights');
  const cv = crossValidatedBlend(method, models, train, breathFold);
  for (const [fold, fit] of cv.foldFits) {
    assert.notDeepEqual(fit.weights, cv.fit.weights, `fold ${fold} fit equals the all-rows fit`);
  }
  // Each fold's rows use that fold's fit: recompute one row by hand.
  const b = breathFold.findIndex((f) => f === 2);
  const row = b * 80 + 5;
  const w = cv.foldFits.get(2)!.weights!;
  const expected = models.reduce((s, m, k) => s + w[k] * m[row], 0);
  assert.ok(Math.abs(cv.oof[row] - expected) < 1e-4);
});

test('median and mean blends, and the OOF report table', () => {
  const models = [noisy(train, 21, 1), noisy(train, 22, 1, 3), noisy(train, 23, 1, -3)];
  const median = crossValidatedBlend(blendMethods.get('median'), models, train, breathFold);
  const mean = crossValidatedBlend(blendMethods.get('mean'), models, train, breathFold);
  const i = 123;
  const sorted = models.map((m) => m[i]).sort((a, b) => a - b);
  assert.equal(median.oof[i], sorted[1]);
  assert.ok(Math.abs(mean.oof[i] - (models[0][i] + models[1][i] + models[2][i]) / 3) < 1e-4);
  const report = oofReport(
    [
      { name: 'a', oof: models[0] },
      { name: 'blend:median', oof: median.oof },
    ],
    train,
  );
  assert.deepEqual(report.array('name'), ['a', 'blend:median']);
  assert.ok(Math.abs((report.array('all')[0] as number) - inspiratoryMaeFromUOut(models[0], train.pressure!, train.uOut)) < 1e-12);
  assert.ok(report.columnNames().some((c) => /^\d+_\d+$/.test(c)));
  assert.match(formatReport(report), /\|name\|all\|/);
});

test('every blend method: identical models blend to themselves', () => {
  const m = noisy(train, 31, 1);
  for (const name of blendMethods.names()) {
    const cv = crossValidatedBlend(blendMethods.get(name), [m, m], train, breathFold);
    for (let i = 0; i < m.length; i += 97) assert.ok(Math.abs(cv.oof[i] - m[i]) < 1e-4, name);
  }
  assert.throws(() => crossValidatedBlend(blendMethods.get('mean'), [m], train, new Int32Array(train.nBreaths)), /at least 2 folds/);
});
