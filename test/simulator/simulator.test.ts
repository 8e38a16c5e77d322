import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../pipeline/commands/simulate.ts';
import { ROWS_PER_BREATH, type BreathTable } from '../../dataset/index.ts';
import { DEFAULT_LUNG, advanceLung, airwayPressure, describeBreaths, drawBreathSettings, drawTimeSteps, quantileOfSorted, simulateBreath, simulateDataset, REAL_STATISTICS, type BreathStatistics } from '../../simulator/index.ts';
import { createRng } from '../../core/index.ts';

// The grid and controller constants as docs/ventilator.md states them, restated here so the test
// checks the simulator against the document rather than against itself.
const GRID_MIN = -1.895744294564641;
const GRID_STEP = 0.07030214545121005;
const GAINS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const PIPS = [10, 15, 20, 25, 30, 35];

const small = simulateDataset({ breaths: 400, testBreaths: 200, seed: 11 }, { withTruth: true });

function onGrid(p: number): boolean {
  const k = Math.round((p - GRID_MIN) / GRID_STEP);
  return k >= 0 && k < 950 && p === GRID_MIN + k * GRID_STEP;
}

test('the PI law holds to 1e-6 on every row without an active residual or clipping', () => {
  let checked = 0;
  let inspiratory = 0;
  for (const [table, truths] of [[small.train, small.truth.train], [small.test, small.truth.test]] as const) {
    const pressure = table.pressure!;
    truths.forEach((truth, b) => {
      assert.ok(GAINS.includes(truth.kp) && GAINS.includes(truth.ki) && PIPS.includes(truth.pip));
      let integral = 0;
      for (let j = 1; j < ROWS_PER_BREATH; j++) {
        const i = b * ROWS_PER_BREATH + j;
        if (table.uOut[i] === 1) break;
        inspiratory++;
        const t = table.timeStep[i];
        const dt = t - table.timeStep[i - 1];
        const error = truth.pip - pressure[i];
        integral += ((error - integral) * dt) / (dt + 0.5);
        const u = table.uIn[i];
        const residualActive = truth.residual.kind !== 'none' && t >= truth.residual.start && t <= truth.residual.end;
        if (residualActive || u <= 0 || u >= 100) continue;
        assert.ok(Math.abs(u - (truth.kp * error + truth.ki * integral)) <= 1e-6, `breath ${truth.breathId} row ${j}`);
        if (truth.pOnly) assert.ok(Math.abs(pressure[i] - (truth.pip - u / truth.kp)) <= 1e-6);
        checked++;
      }
    });
  }
  // Most inspiratory rows must be law rows, or the inversion has nothing to work on.
  assert.ok(checked > 0.4 * inspiratory, `${checked} of ${inspiratory} rows checked`);
});

test('P-only breaths have ki = 0 and make up a share of the data', () => {
  const pOnly = small.truth.train.filter((t) => t.pOnly);
  assert.ok(pOnly.length > 10 && pOnly.length < 100, `${pOnly.length} of 400`);
  for (const t of pOnly) {
    assert.equal(t.ki, 0);
    assert.ok(t.kp > 0);
  }
});

test('pressures are exact grid doubles and rows follow the breath layout of the real files', () => {
  for (const table of [small.train, small.test]) {
    for (let b = 0; b < table.nBreaths; b++) {
      const o = b * ROWS_PER_BREATH;
      assert.equal(table.timeStep[o], 0);
      const total = table.timeStep[o + ROWS_PER_BREATH - 1];
      assert.ok(total >= 2.6 && total <= 2.95, `breath ${table.breathId[b]} lasts ${total}`);
      for (let j = 0; j < ROWS_PER_BREATH; j++) {
        const i = o + j;
        const t = table.timeStep[i];
        assert.ok(onGrid(table.pressure![i]), `pressure ${table.pressure![i]} off the grid`);
        assert.ok(table.uIn[i] >= 0 && table.uIn[i] <= 100);
        assert.equal(table.uOut[i], t >= 1.0 ? 1 : 0);
        if (j > 0) assert.ok(t - table.timeStep[i - 1] > 0.032, `step ${t - table.timeStep[i - 1]}`);
        if (t >= 1.0) {
          const expected = t < 1.5 ? 0 : 5 * (1 - Math.exp(-5 * (t - 1.5)));
          assert.ok(Math.abs(table.uIn[i] - expected) < 1e-12);
        }
      }
    }
  }
});

test('breath ids increase over both files without overlap and row ids are 1-based per file', () => {
  const { train, test: testSet } = small;
  assert.equal(train.nBreaths, 400);
  assert.equal(testSet.nBreaths, 200);
  for (const table of [train, testSet]) {
    for (let b = 1; b < table.nBreaths; b++) assert.ok(table.breathId[b] > table.breathId[b - 1]);
    table.id.forEach((id, i) => assert.equal(id, i + 1));
  }
  const trainIds = new Set(train.breathId);
  assert.ok(testSet.breathId.every((id) => !trainIds.has(id)));
  // Interleaved like Kaggle's split, not train first then test.
  assert.ok(testSet.breathId[0] < train.breathId[train.nBreaths - 1]);
  assert.ok(train.breathId[0] < testSet.breathId[testSet.nBreaths - 1]);
});

function assertTablesEqual(a: BreathTable, b: BreathTable): void {
  assert.deepEqual(a.breathId, b.breathId);
  assert.deepEqual(a.R, b.R);
  assert.deepEqual(a.C, b.C);
  assert.deepEqual(a.id, b.id);
  assert.deepEqual(a.timeStep, b.timeStep);
  assert.deepEqual(a.uIn, b.uIn);
  assert.deepEqual(a.uOut, b.uOut);
  assert.deepEqual(a.pressure, b.pressure);
}

test('the same seed gives identical tables; another seed gives different ones', () => {
  const again = simulateDataset({ breaths: 400, testBreaths: 200, seed: 11 });
  assertTablesEqual(again.train, small.train);
  assertTablesEqual(again.test, small.test);
  const other = simulateDataset({ breaths: 400, testBreaths: 200, seed: 12 });
  assert.notDeepEqual(other.train.pressure, small.train.pressure);
  assert.notDeepEqual(other.train.uIn, small.train.uIn);
});

test('simulateBreath reproduces a breath of the dataset from its settings', () => {
  // Breaths draw from generators keyed by their breath id: redraw breath 0 of the train set.
  const truth = small.truth.train[0];
  const rng = createRng(11, 'simulator', 'breath', truth.breathId);
  const settings = drawBreathSettings(rng);
  const timeStep = new Float64Array(ROWS_PER_BREATH);
  drawTimeSteps(rng, timeStep);
  const rows = simulateBreath(settings, timeStep);
  assert.deepEqual(timeStep, small.train.timeStep.subarray(0, ROWS_PER_BREATH));
  assert.deepEqual(rows.pressure, small.train.pressure!.subarray(0, ROWS_PER_BREATH));
  assert.deepEqual(rows.uIn, small.train.uIn.subarray(0, ROWS_PER_BREATH));
});

test('a stiffer lung or a higher target gives higher inspiratory pressure', () => {
  const timeStep = new Float64Array(ROWS_PER_BREATH).map((_, j) => j * 0.0335);
  const base = { ...small.truth.train[0], kp: 1, ki: 2, pOnly: false, residual: { kind: 'none' as const, height: 0, start: 0, end: 0 } };
  const meanInspiratory = (s: typeof base) => {
    const rows = simulateBreath(s, timeStep);
    return rows.pressure.subarray(0, 30).reduce((a, p) => a + p, 0) / 30;
  };
  assert.ok(meanInspiratory({ ...base, R: 20, C: 10, pip: 30 }) > meanInspiratory({ ...base, R: 20, C: 50, pip: 30 }));
  assert.ok(meanInspiratory({ ...base, R: 20, C: 20, pip: 35 }) > meanInspiratory({ ...base, R: 20, C: 20, pip: 15 }) + 5);
});

test('one lung step matches a fine Euler integration of the airway-node balance', () => {
  const lung = DEFAULT_LUNG;
  for (const [r, c, startPressure, inflow, exhaustOpen] of [
    [5, 10, 20, 0, true],
    [50, 50, 30, 0, true],
    [20, 20, 6, 1.2, false],
    [5, 50, 5.3, 0.4, false],
  ] as const) {
    const state = { r, c, volume: startPressure * c };
    advanceLung(lung, state, inflow, exhaustOpen, 0.034);
    // Euler with the balance written out: inflow = (p - V/C)/R + g (p - PEEP), volume in mL.
    let volume = startPressure * c;
    const steps = 200000;
    for (let k = 0; k < steps; k++) {
      const g = lung.leakConductance + (exhaustOpen ? 1 / lung.exhaustResistance : 0);
      const p = (inflow + g * lung.peep + volume / c / r) / (1 / r + g);
      volume += (1000 * (p - volume / c) / r) * (0.034 / steps);
    }
    assert.ok(Math.abs(state.volume - volume) < 1e-3 * c, `R ${r} C ${c}: ${state.volume} vs ${volume}`);
    // Steady inflow with the exhaust shut settles where the leak carries it all away.
    const settled = { r, c, volume: state.volume };
    advanceLung(lung, settled, inflow, false, 1000);
    assert.ok(Math.abs(airwayPressure(lung, settled, inflow, false) - (lung.peep + inflow / lung.leakConductance)) < 1e-9);
  }
});

test('quantiles interpolate like pandas', () => {
  const sorted = new Float64Array([1, 2, 3, 4]);
  assert.equal(quantileOfSorted(sorted, 0.25), 1.75);
  assert.equal(quantileOfSorted(sorted, 0.5), 2.5);
  assert.equal(quantileOfSorted(sorted, 1), 4);
});

/**
 * Pinned calibration (docs/simulator.md): relative error allowed against the real figure, with
 * the error taken relative to max(|real|, 1) so that figures near 0 get an absolute allowance.
 */
const TOLERANCES: Partial<Record<keyof BreathStatistics, number>> = {
  inspiratoryRowsPerBreath: 0.03,
  pressureMean: 0.1,
  pressureSd: 0.15,
  pressureQ1: 0.1,
  pressureMedian: 0.1,
  pressureQ3: 0.15,
  inspiratoryPressureMean: 0.1,
  inspiratoryPressureSd: 0.2,
  inspiratoryPressureQ1: 0.1,
  inspiratoryPressureMedian: 0.1,
  inspiratoryPressureQ3: 0.1,
  expiratoryPressureMean: 0.1,
  expiratoryPressureMedian: 0.1,
  inspiratoryUInMean: 0.15,
  inspiratoryUInSd: 0.2,
  inspiratoryUInQ1: 0.2,
  inspiratoryUInMedian: 0.2,
  inspiratoryUInQ3: 0.1,
  expiratoryUInMean: 0.05,
  expiratoryUInQ1: 0.05,
  expiratoryUInMedian: 0.1,
  expiratoryUInQ3: 0.05,
  shareR5: 0.1,
  shareR20: 0.1,
  shareR50: 0.1,
};

test('generated statistics match the real training data within the pinned tolerances', () => {
  const { train } = simulateDataset({ breaths: 3000, testBreaths: 0, seed: 2021 });
  const got = describeBreaths(train);
  const failures: string[] = [];
  for (const [key, tolerance] of Object.entries(TOLERANCES) as [keyof BreathStatistics, number][]) {
    const real = REAL_STATISTICS[key];
    const error = Math.abs(got[key] - real) / Math.max(Math.abs(real), 1);
    if (!(error <= tolerance)) failures.push(`${key}: real ${real}, generated ${got[key].toFixed(3)}`);
  }
  assert.deepEqual(failures, []);
  // Pressure below 0 happens in the real data only for R = 50, C = 10.
  for (let i = 0; i < train.pressure!.length; i++) {
    if (train.pressure![i] < 0) {
      const b = Math.floor(i / ROWS_PER_BREATH);
      assert.deepEqual([train.R[b], train.C[b]], [50, 10]);
    }
  }
});

test('bad counts and seeds are refused with the option named', () => {
  assert.throws(() => simulateDataset({ breaths: 0, testBreaths: 1, seed: 1 }), /breaths must be an integer >= 1, got 0/);
  assert.throws(() => simulateDataset({ breaths: 2, testBreaths: 1.5, seed: 1 }), /testBreaths must be an integer >= 0, got 1.5/);
  assert.throws(() => simulateDataset({ breaths: 2, testBreaths: 1, seed: Number.NaN }), /seed must be an integer/);
});

test('tidal simulate writes the same bytes twice for the same seed', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'tidal-sim-')), mkdtempSync(join(tmpdir(), 'tidal-sim-'))];
  try {
    for (const dir of dirs) {
      const run = spawnSync(process.execPath, ['bin/tidal.js', 'simulate', '--breaths', '30', '--seed', '5', '--out', dir], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /30 train breaths/);
    }
    const files = ['train.csv', 'test.csv', 'sample_submission.csv', 'test_answers.csv'];
    for (const name of files) assert.deepEqual(readFileSync(join(dirs[0], name)), readFileSync(join(dirs[1], name)), name);
    const train = readFileSync(join(dirs[0], 'train.csv'), 'utf8').trim().split('\n');
    assert.equal(train[0], 'id,breath_id,R,C,time_step,u_in,u_out,pressure');
    assert.equal(train.length, 1 + 30 * ROWS_PER_BREATH);
    // --test-breaths defaults to half of --breaths.
    const testCsv = readFileSync(join(dirs[0], 'test.csv'), 'utf8').trim().split('\n');
    assert.equal(testCsv[0], 'id,breath_id,R,C,time_step,u_in,u_out');
    assert.equal(testCsv.length, 1 + 15 * ROWS_PER_BREATH);
    const answers = readFileSync(join(dirs[0], 'test_answers.csv'), 'utf8').trim().split('\n');
    const sample = readFileSync(join(dirs[0], 'sample_submission.csv'), 'utf8').trim().split('\n');
    assert.equal(answers[0], 'id,pressure');
    assert.equal(sample[1], '1,0');
    assert.equal(answers.length, testCsv.length);
    // The answers are the simulator's test pressures, written so they parse back to the exact doubles.
    const expected = simulateDataset({ breaths: 30, testBreaths: 15, seed: 5 }).test.pressure!;
    assert.deepEqual(Float64Array.from(answers.slice(1), (line) => Number(line.split(',')[1])), expected);
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});

test('tidal simulate --help describes every option', () => {
  const program = new Command('tidal');
  register(program);
  const simulate = program.commands.find((c) => c.name() === 'simulate')!;
  assert.deepEqual(simulate.options.map((o) => o.long), ['--breaths', '--test-breaths', '--seed', '--out']);
  for (const option of simulate.options) assert.ok(option.description.length > 20, option.long);
  assert.match(simulate.helpInformation(), /test_answers\.csv/);
});
