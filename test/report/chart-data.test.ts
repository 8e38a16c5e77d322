/**
 * The report's chart data on simulated breaths with known predictions: each aggregate agrees
 * with the competition scorer or with a direct count, and the example breaths are the best,
 * median and worst of their (R, C) pair.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { simulateDataset } from '../../simulator/index.ts';
import { exampleBreaths, maeByRc, maeByTimeStep, residualHistogram } from '../../report/index.ts';
import { inspiratoryMaeFromUOut, inspiratoryMaeByRc } from '../../submissions/index.ts';

const { train } = simulateDataset({ breaths: 90, testBreaths: 1, seed: 11 });
const rows = train.nBreaths * ROWS_PER_BREATH;
// A prediction whose error grows with the breath index: breath b is off by (b + 1) / 10 on every row.
const offset = Float32Array.from({ length: rows }, (_, i) => train.pressure![i] + (Math.floor(i / ROWS_PER_BREATH) + 1) / 10);
const noisy = Float32Array.from({ length: rows }, (_, i) => train.pressure![i] + Math.sin(i) * 2);
const series = [
  { name: 'offset', oof: offset },
  { name: 'noisy', oof: noisy },
];

test('MAE by (R, C) agrees with the competition scorer, to the 4 decimals shown', () => {
  const cells = maeByRc(series, train);
  for (const { name, oof } of series) {
    const scores = inspiratoryMaeByRc(oof, train.pressure!, train).slice(1);
    const mine = cells.filter((c) => c.series === name);
    assert.equal(mine.length, scores.length);
    for (const s of scores) {
      const cell = mine.find((c) => `${c.R}_${c.C}` === s.pair)!;
      assert.ok(Math.abs(cell.mae - s.mae) <= 5e-5, `${name} ${s.pair}: ${cell.mae} vs ${s.mae}`);
    }
  }
});

test('the residual histogram counts every inspiratory row once per series', () => {
  const bins = residualHistogram(series, train);
  let inspiratory = 0;
  for (let i = 0; i < rows; i++) if (train.uOut[i] === 0) inspiratory++;
  for (const { name } of series) {
    const mine = bins.filter((b) => b.series === name);
    assert.equal(mine.reduce((s, b) => s + b.count, 0), inspiratory);
    mine.slice(1).forEach((b, k) => assert.equal(b.start, mine[k].end));
  }
  // Every residual of `offset` is positive: nothing lands left of zero.
  assert.equal(bins.filter((b) => b.series === 'offset' && b.end <= 0).reduce((s, b) => s + b.count, 0), 0);
});

test('MAE by time step weighs back to the overall inspiratory MAE', () => {
  const steps = maeByTimeStep(series, train);
  for (const { name, oof } of series) {
    const mine = steps.filter((s) => s.series === name);
    const total = mine.reduce((s, x) => s + x.rows, 0);
    const weighted = mine.reduce((s, x) => s + x.mae * x.rows, 0) / total;
    assert.ok(Math.abs(weighted - inspiratoryMaeFromUOut(oof, train.pressure!, train.uOut)) < 1e-3);
  }
});

test('example breaths are the best, median and worst breath of each (R, C) pair', () => {
  const chosen = exampleBreaths(offset, train);
  const pairs = new Map<string, number[]>();
  for (let b = 0; b < train.nBreaths; b++) {
    const pair = `R=${train.R[b]}, C=${train.C[b]}`;
    pairs.set(pair, [...(pairs.get(pair) ?? []), b]);
  }
  assert.equal(chosen.length, pairs.size * 3);
  for (const [pair, breaths] of pairs) {
    // `offset` errs more on later breaths: best is the pair's first breath, worst its last.
    const expected = { best: breaths[0], median: breaths[Math.floor((breaths.length - 1) / 2)], worst: breaths.at(-1)! };
    for (const [rank, b] of Object.entries(expected)) {
      const mine = chosen.find((e) => e.pair === pair && e.rank === rank)!;
      assert.equal(mine.breathId, train.breathId[b], `${pair} ${rank}`);
      assert.ok(Math.abs(mine.breathMae - (b + 1) / 10) < 1e-3);
      assert.equal(mine.rows.length, ROWS_PER_BREATH);
      assert.ok(Math.abs(mine.rows[5].pressure - train.pressure![b * ROWS_PER_BREATH + 5]) < 1e-4);
      // The shaded span starts at the breath's first expiratory row.
      const firstExp = Array.from({ length: ROWS_PER_BREATH }, (_, r) => r).find((r) => train.uOut[b * ROWS_PER_BREATH + r] === 1)!;
      assert.ok(Math.abs(mine.expStart - train.timeStep[b * ROWS_PER_BREATH + firstExp]) < 1e-4);
    }
  }
});
