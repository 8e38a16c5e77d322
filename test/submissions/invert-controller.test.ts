import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../core/index.ts';
import { simulateDataset } from '../../simulator/index.ts';
import { type BreathTable } from '../../dataset/index.ts';
import { invertController, postprocess, inspiratoryMaeFromUOut } from '../../submissions/index.ts';

const { train, truth } = simulateDataset({ breaths: 600, testBreaths: 0, seed: 21 }, { withTruth: true });

/** Rows of breath b where the recorded u_in equals the PI law recomputed from the true settings and pressures (unclipped). */
function lawfulRows(table: BreathTable, b: number): boolean[] {
  const { pip, kp, ki } = truth.train[b];
  const lawful = new Array<boolean>(80).fill(false);
  let I = 0;
  for (let j = 1; j < 80; j++) {
    const i = b * 80 + j;
    if (table.uOut[i] !== 0) break;
    const dt = table.timeStep[i] - table.timeStep[i - 1];
    const e = pip - table.pressure![i];
    I = I + ((e - I) * dt) / (dt + 0.5);
    const law = kp * e + ki * I;
    lawful[j] = law > 0 && law < 100 && Math.abs(table.uIn[i] - law) < 1e-9;
  }
  return lawful;
}

const inversion = invertController(train);

test('inversion recovers the exact pressures and the true controller of simulated PI breaths', () => {
  let solved = 0;
  for (let i = 0; i < inversion.pressure.length; i++) {
    if (Number.isNaN(inversion.pressure[i])) continue;
    solved++;
    assert.equal(inversion.pressure[i], train.pressure![i], `row ${i}`);
  }
  assert.equal(solved, inversion.solvedRows);
  for (let b = 0; b < train.nBreaths; b++) {
    if (Number.isNaN(inversion.pip[b])) continue;
    const t = truth.train[b];
    assert.deepEqual([inversion.pip[b], inversion.kp[b], inversion.ki[b]], [t.pip, t.kp, t.ki], `breath ${t.breathId}`);
  }
  // Breaths with no residual whose u_in never clips after row 0: every inspiratory row but row 0.
  let clean = 0;
  for (let b = 0; b < train.nBreaths; b++) {
    const lawful = lawfulRows(train, b);
    const n = train.uOut.subarray(b * 80, b * 80 + 80).indexOf(1);
    if (truth.train[b].residual.kind !== 'none' || !lawful.slice(1, n).every(Boolean)) continue;
    clean++;
    for (let j = 1; j < n; j++) assert.ok(!Number.isNaN(inversion.pressure[b * 80 + j]), `breath ${truth.train[b].breathId} row ${j}`);
  }
  assert.ok(clean > 10, `only ${clean} clean breaths`);
  assert.ok(inversion.coverage > 0.25, `coverage ${inversion.coverage}`);
});

test('inversion leaves rows where the law breaks (residual active, u_in clipped, row 0, expiration) to the model', () => {
  let broken = 0;
  for (let b = 0; b < train.nBreaths; b++) {
    const lawful = lawfulRows(train, b);
    for (let j = 0; j < 80; j++) {
      if (lawful[j]) continue;
      broken++;
      assert.ok(Number.isNaN(inversion.pressure[b * 80 + j]), `breath ${truth.train[b].breathId} row ${j} solved off the law`);
    }
  }
  assert.ok(broken > 0);
  // A perturbation of u_in on every row breaks the law everywhere: nothing is solved.
  const perturbed: BreathTable = { ...train, uIn: Float64Array.from(train.uIn, (u, i) => u + 1e-3 * (1 + (i % 3))) };
  assert.equal(invertController(perturbed).solvedRows, 0);
});

test('a guide (a model-like prediction) finds controllers of breaths whose first row is clipped or noisy, still exactly', () => {
  const rng = createRng(3, 'guide');
  const guide = Float64Array.from(train.pressure!, (p) => p + (2 * rng() - 1));
  const guided = invertController(train, {}, guide);
  assert.ok(guided.matchedBreaths > inversion.matchedBreaths + 30, `${inversion.matchedBreaths} -> ${guided.matchedBreaths} breaths`);
  assert.ok(guided.coverage > inversion.coverage + 0.05, `coverage ${inversion.coverage} -> ${guided.coverage}`);
  let clippedStart = 0;
  for (let b = 0; b < train.nBreaths; b++) {
    if (!Number.isNaN(guided.pip[b])) {
      const t = truth.train[b];
      assert.deepEqual([guided.pip[b], guided.kp[b], guided.ki[b]], [t.pip, t.kp, t.ki], `breath ${t.breathId}`);
      if (train.uIn[b * 80 + 1] >= 100 && t.ki > 0) clippedStart++;
    }
  }
  assert.ok(clippedStart > 5, `${clippedStart} PI breaths with u_in clipped on row 1 matched`);
  for (let i = 0; i < guided.pressure.length; i++) {
    if (!Number.isNaN(guided.pressure[i])) assert.equal(guided.pressure[i], train.pressure![i], `row ${i}`);
  }
  assert.throws(() => invertController(train, {}, guide.subarray(1)), /guide has/);
});

test('post-processing: inversion replaces solved rows, snapping puts every value on the grid', () => {
  const pred = Float64Array.from(train.pressure!, (p, i) => p + 0.5 * Math.sin(i));
  const out = postprocess(pred, train);
  // The predictions guide the search, so at least the unguided rows are solved.
  assert.ok(out.inversion!.solvedRows >= inversion.solvedRows);
  for (let i = 0; i < pred.length; i++) {
    if (!Number.isNaN(out.inversion!.pressure[i])) assert.equal(out.pressure[i], train.pressure![i]);
  }
  const before = inspiratoryMaeFromUOut(pred, train.pressure!, train.uOut);
  const after = inspiratoryMaeFromUOut(out.pressure, train.pressure!, train.uOut);
  assert.ok(after < before * (1 - out.inversion!.coverage * 0.9), `MAE ${before} -> ${after}`);
  const snapOnly = postprocess(Float64Array.of(-5, 0.01, 70), { ...train, nBreaths: 0 }, { invert: false });
  assert.deepEqual([...snapOnly.pressure], [-1.895744294564641, -1.895744294564641 + 27 * 0.07030214545121005, -1.895744294564641 + 949 * 0.07030214545121005]);
});
