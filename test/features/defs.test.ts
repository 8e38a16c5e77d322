/** Feature values on hand-made breaths whose answers are known without the code under test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROWS_PER_BREATH, allocateBreathTable, type BreathTable } from '../../dataset/index.ts';
import { computeColumns } from '../../features/index.ts';

/** Two breaths: breath 0 has u_in = 1..80, breath 1 has u_in = 101..180; time_step = 0.1 * r + r^2 / 1000. */
function ramps(): BreathTable {
  const table = allocateBreathTable(2, true);
  for (let b = 0; b < 2; b++) {
    table.breathId[b] = 10 + b;
    table.R[b] = b === 0 ? 20 : 50;
    table.C[b] = b === 0 ? 10 : 50;
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      const i = b * ROWS_PER_BREATH + r;
      table.uIn[i] = 100 * b + r + 1;
      table.uOut[i] = r >= 30 ? 1 : 0;
      table.timeStep[i] = 0.1 * r + (r * r) / 1000;
    }
  }
  return table;
}

const columns = computeColumns(ramps(), 'full');
const at = (name: string, b: number, r: number) => columns.get(name)![b * ROWS_PER_BREATH + r];

test('u_in lags are 0-filled at the start of each breath and never take the previous breath\'s rows', () => {
  for (let k = 1; k <= 4; k++) {
    for (let r = 0; r < k; r++) {
      assert.equal(at(`u_in_lag${k}`, 0, r), 0);
      assert.equal(at(`u_in_lag${k}`, 1, r), 0, `breath 1 row ${r} must not see breath 0's row ${80 + r - k}`);
    }
    assert.equal(at(`u_in_lag${k}`, 0, k), 1);
    assert.equal(at(`u_in_lag${k}`, 1, k), 101);
    assert.equal(at(`u_in_lag${k}`, 1, 79), 180 - k);
  }
});

test('u_in leads are 0-filled at the end of each breath and never take the next breath\'s rows', () => {
  for (let k = 1; k <= 4; k++) {
    for (let r = 80 - k; r < 80; r++) assert.equal(at(`u_in_lead${k}`, 0, r), 0, `breath 0 row ${r}`);
    assert.equal(at(`u_in_lead${k}`, 0, 79 - k), 80);
    assert.equal(at(`u_in_lead${k}`, 0, 0), 1 + k);
  }
});

test('u_in diffs subtract the 0-filled lag', () => {
  for (let k = 1; k <= 4; k++) {
    assert.equal(at(`u_in_diff${k}`, 1, 0), 101, 'first row: u_in itself');
    assert.equal(at(`u_in_diff${k}`, 1, 40), k);
  }
});

test('u_out lags, leads and diffs mark the valve opening at row 30', () => {
  assert.equal(at('u_out_lag1', 0, 30), 0);
  assert.equal(at('u_out_lag1', 0, 31), 1);
  assert.equal(at('u_out_lead2', 0, 28), 1);
  assert.equal(at('u_out_lead2', 0, 27), 0);
  assert.equal(at('u_out_lead2', 0, 79), 0, 'after the end of the breath');
  assert.equal(at('u_out_diff1', 0, 30), 1);
  assert.equal(at('u_out_diff1', 0, 31), 0);
  assert.equal(at('u_out_diff3', 0, 32), 1);
  assert.equal(at('u_out_diff3', 0, 79), 0);
});

test('cumulative, per-breath and cross features', () => {
  // breath 1: u_in = 100 + r + 1, so the running sum to row r is 101 + ... + (101 + r).
  const sumTo = (r: number) => (r + 1) * 101 + (r * (r + 1)) / 2;
  assert.equal(at('u_in_cumsum', 1, 9), sumTo(9));
  assert.ok(Math.abs(at('u_in_cummean', 1, 9) - sumTo(9) / 10) < 1e-4);
  assert.equal(at('u_in_max', 1, 0), 180);
  assert.equal(at('u_in_mean', 1, 0), 140.5);
  assert.equal(at('u_in_diffmax', 1, 5), 180 - 106);
  assert.equal(at('u_in_diffmean', 1, 5), 140.5 - 106);
  assert.equal(at('cross', 0, 29), 0);
  assert.equal(at('cross', 0, 30), 31);
  assert.ok(Math.abs(at('cross2', 0, 30) - (3 + 0.9)) < 1e-6);
  assert.equal(at('R', 1, 7), 50);
  assert.equal(at('R_C_20_10', 0, 0), 1);
  assert.equal(at('R_C_50_50', 0, 0), 0);
  assert.equal(at('R_C_50_50', 1, 79), 1);
  assert.equal(at('C_50', 1, 3), 1);
});

test('time features: time_delta, time_step_cumsum and both areas', () => {
  const t = (r: number) => 0.1 * r + (r * r) / 1000;
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
  assert.equal(at('time_delta', 1, 0), 0);
  close(at('time_delta', 1, 10), t(10) - t(9));
  let cum = 0;
  let area = 0;
  let areaDelta = 0;
  for (let r = 0; r <= 50; r++) {
    cum += t(r);
    area += t(r) * (r + 1);
    if (r > 0) areaDelta += (t(r) - t(r - 1)) * (r + 1);
  }
  close(at('time_step_cumsum', 0, 50), cum);
  close(at('area', 0, 50), area);
  close(at('area_delta', 0, 50), areaDelta);
});

test('rolling-15 statistics use the last 15 rows of the breath, fewer at its start', () => {
  // breath 0, row 20: u_in 7..21.
  assert.equal(at('u_in_rolling15_sum', 0, 20), 210);
  assert.equal(at('u_in_rolling15_min', 0, 20), 7);
  assert.equal(at('u_in_rolling15_max', 0, 20), 21);
  assert.equal(at('u_in_rolling15_mean', 0, 20), 14);
  // breath 1, row 2: only rows 0..2 (101..103), nothing from breath 0.
  assert.equal(at('u_in_rolling15_sum', 1, 2), 306);
  assert.equal(at('u_in_rolling15_min', 1, 2), 101);
});

test('EWM with half-life 9 matches the explicit weighted mean (pandas adjust=True)', () => {
  for (const r of [0, 1, 8, 40, 79]) {
    let num = 0;
    let den = 0;
    for (let i = 0; i <= r; i++) {
      const w = Math.pow(2, -(r - i) / 9);
      num += w * (100 + i + 1);
      den += w;
    }
    assert.ok(Math.abs(at('u_in_ewm9', 1, r) - num / den) < 1e-4, `row ${r}`);
  }
});
