import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateDataset } from '../../simulator/index.ts';
import { inspiratoryMaeFromUOut, inspiratoryMaeByRc } from '../../submissions/index.ts';

test('inspiratoryMaeFromUOut averages |pred - target| over u_out == 0 rows only (hand computation)', () => {
  const pred = [1, 2, 3, 4, 100];
  const target = [1.5, 2, 1, 4, 0];
  const uOut = [0, 0, 0, 1, 1];
  // rows 0..2: |1-1.5| + 0 + |3-1| = 2.5 over 3 rows
  assert.equal(inspiratoryMaeFromUOut(pred, target, uOut), 2.5 / 3);
  assert.ok(Number.isNaN(inspiratoryMaeFromUOut([1], [2], [1])));
  assert.throws(() => inspiratoryMaeFromUOut([1, 2], [1], [0, 0]), /lengths differ/);
});

test('inspiratoryMaeByRc: overall equals inspiratoryMaeFromUOut and pairs split it by row counts', () => {
  const { train } = simulateDataset({ breaths: 60, testBreaths: 0, seed: 11 });
  const target = train.pressure!;
  const pred = Float64Array.from(target, (p, i) => p + (i % 7) * 0.1 - 0.3);
  const scores = inspiratoryMaeByRc(pred, target, train);
  assert.equal(scores[0].pair, 'all');
  assert.ok(Math.abs(scores[0].mae - inspiratoryMaeFromUOut(pred, target, train.uOut)) < 1e-12);
  const pairs = scores.slice(1);
  assert.ok(pairs.length > 1);
  const rows = pairs.reduce((s, p) => s + p.rows, 0);
  assert.equal(rows, scores[0].rows);
  const weighted = pairs.reduce((s, p) => s + p.mae * p.rows, 0) / rows;
  assert.ok(Math.abs(weighted - scores[0].mae) < 1e-12);
  // One pair by hand: rows of breaths with that R and C.
  const [r, c] = pairs[0].pair.split('_').map(Number);
  let sum = 0;
  let n = 0;
  for (let b = 0; b < train.nBreaths; b++) {
    if (train.R[b] !== r || train.C[b] !== c) continue;
    for (let i = b * 80; i < b * 80 + 80; i++) {
      if (train.uOut[i] === 0) {
        sum += Math.abs(pred[i] - target[i]);
        n++;
      }
    }
  }
  assert.equal(pairs[0].rows, n);
  assert.ok(Math.abs(pairs[0].mae - sum / n) < 1e-12);
});
