/**
 * What each model adds, on simulated breaths: a real (weak) model fitted out of fold, a good
 * model and a model of pure noise, blended with every blend method.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../core/index.ts';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { assignFolds, foldsOf } from '../../folds/index.ts';
import { fitRcTimeMean, predictRcTimeMean } from '../../models/index.ts';
import { simulateDataset } from '../../simulator/index.ts';
import { blendMethods, crossValidatedBlend, formatContributions, inspiratoryMaeFromUOut, modelContributions } from '../../submissions/index.ts';

const { train } = simulateDataset({ breaths: 300, testBreaths: 0, seed: 17 });
const breathFold = Int32Array.from(foldsOf(assignFolds(train, { nFolds: 5, seed: 3, stratified: true }), train.breathId));
const mae = (p: Float32Array) => inspiratoryMaeFromUOut(p, train.pressure!, train.uOut);

/** The per-(R, C, time-step) mean, each fold's breaths predicted by a fit on the other folds. */
function rcTimeMeanOof(): Float32Array {
  const oof = new Float32Array(train.nBreaths * ROWS_PER_BREATH);
  for (const f of new Set(breathFold)) {
    const fitted = fitRcTimeMean(train, [...breathFold.keys()].filter((b) => breathFold[b] !== f));
    const all = predictRcTimeMean(fitted, train);
    breathFold.forEach((g, b) => {
      if (g === f) oof.set(all.subarray(b * ROWS_PER_BREATH, (b + 1) * ROWS_PER_BREATH), b * ROWS_PER_BREATH);
    });
  }
  return oof;
}

const rng = createRng(11, 'model-contributions-test');
/** The truth with a little noise: the model the blend should lean on. */
const good = Float32Array.from(train.pressure!, (p) => p + 0.3 * (2 * rng() - 1));
/** Pressures drawn at random over the simulator's range, unrelated to the breath. */
const noise = Float32Array.from(train.pressure!, () => 5 + 40 * rng());
const weak = rcTimeMeanOof();
const models = [
  { name: 'rc-time-mean', oof: weak },
  { name: 'good', oof: good },
  { name: 'noise', oof: noise },
];

test('weighted blend: removing the good model costs, removing pure noise costs about nothing', () => {
  const method = blendMethods.get('weights');
  const full = mae(crossValidatedBlend(method, models.map((m) => m.oof), train, breathFold).oof);
  const added = modelContributions(method, models, train, breathFold, full);
  assert.deepEqual(added.map((c) => c.model), ['rc-time-mean', 'good', 'noise']);
  const [withoutWeak, withoutGood, withoutNoise] = added;
  // Without the good model the blend can at best match the weak model it is left with (noise cannot help it much).
  assert.ok(withoutGood.blendOofMaeWithout > 0.8 * mae(weak), `without good: ${withoutGood.blendOofMaeWithout}, weak alone ${mae(weak)}`);
  assert.ok(withoutGood.cost > 1, `cost of the good model ${withoutGood.cost}`);
  assert.ok(Math.abs(withoutNoise.cost) < 0.01, `cost of the noise model ${withoutNoise.cost}`);
  assert.ok(Math.abs(withoutWeak.cost) < 0.05, `cost of the weak model ${withoutWeak.cost}`);
  for (const c of added) assert.ok(Math.abs(c.cost - (c.blendOofMaeWithout - full)) < 1e-12);
  // Each entry is the blend refitted on the others: the same call by hand gives the same score.
  const byHand = mae(crossValidatedBlend(method, [weak, noise], train, breathFold).oof);
  assert.equal(withoutGood.blendOofMaeWithout, byHand);
  const table = formatContributions(added, full);
  assert.match(table, /\| all models \| \d+\.\d{4} \| \|/);
  assert.match(table, /\| without good \| \d+\.\d{4} \| \+\d+\.\d{4} \|/);
});

test('every blend method: a model left out of two is the other model alone', () => {
  for (const name of blendMethods.names()) {
    const method = blendMethods.get(name);
    const pair = [models[0], models[1]];
    const full = mae(crossValidatedBlend(method, pair.map((m) => m.oof), train, breathFold).oof);
    const [withoutWeak, withoutGood] = modelContributions(method, pair, train, breathFold, full);
    assert.ok(Math.abs(withoutWeak.blendOofMaeWithout - mae(good)) < 1e-5, name);
    assert.ok(Math.abs(withoutGood.blendOofMaeWithout - mae(weak)) < 1e-5, name);
  }
});

test('one model has nothing to leave out', () => {
  assert.throws(() => modelContributions(blendMethods.get('weights'), [models[0]], train, breathFold, 1), /at least 2 models, got 1/);
});
