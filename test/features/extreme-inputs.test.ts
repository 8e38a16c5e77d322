/**
 * Every registered feature, and every scaler after it, stays finite on the extremes of what
 * ingest accepts (dataset/physical-ranges.ts): u_in at 0 and 100, alternating, u_out all 0 or
 * all 1, time steps packed as closely as doubles allow or spread over the whole [0, 10] s range,
 * pressure at its bounds, every (R, C). Loops over the registry, so a new feature is swept too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  C_VALUES,
  PRESSURE_RANGE,
  R_VALUES,
  ROWS_PER_BREATH,
  TIME_STEP_RANGE,
  U_IN_RANGE,
  allocateBreathTable,
  type BreathTable,
} from '../../dataset/index.ts';
import { scalerRegistry, applyScaler, buildFeatures, computeColumns, featureRegistry, fitScaler } from '../../features/index.ts';

const R = ROWS_PER_BREATH;
const { min: U_MIN, max: U_MAX } = U_IN_RANGE;
const { min: T_MIN, max: T_MAX } = TIME_STEP_RANGE;

/** The next double above x (x >= 0). */
function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}

/** Time steps of one breath: 80 strictly increasing values in [T_MIN, T_MAX]. */
const timePatterns: Record<string, () => number[]> = {
  // The closest 80 doubles from 0: steps of 5e-324, which float32 turns into 0.
  packedAtZero: () => Array.from({ length: R }, (_, r) => r * Number.MIN_VALUE),
  // Steps too small for a float32 normal number but not 0 in float32: the tiniest nonzero spread.
  float32Subnormal: () => Array.from({ length: R }, (_, r) => r * 1e-42),
  // The closest 80 doubles ending at the upper bound.
  packedAtTop: () => {
    const t = [T_MAX];
    while (t.length < R) {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, t[0]);
      view.setBigUint64(0, view.getBigUint64(0) - 1n);
      t.unshift(view.getFloat64(0));
    }
    return t;
  },
  spreadOverRange: () => Array.from({ length: R }, (_, r) => T_MIN + ((T_MAX - T_MIN) * r) / (R - 1)),
  // Tiny steps, then one jump to the top: the largest possible single step.
  oneJump: () => Array.from({ length: R }, (_, r) => (r < R - 1 ? r * Number.MIN_VALUE : T_MAX)),
  kaggleLike: () => Array.from({ length: R }, (_, r) => r * 0.0339),
};

const uInPatterns: Record<string, (r: number) => number> = {
  allMin: () => U_MIN,
  allMax: () => U_MAX,
  alternating: (r) => (r % 2 === 0 ? U_MIN : U_MAX),
  stepUp: (r) => (r < R / 2 ? U_MIN : U_MAX),
  stepDown: (r) => (r < R / 2 ? U_MAX : U_MIN),
};

const uOutPatterns: Record<string, (r: number) => number> = {
  allZero: () => 0,
  allOne: () => 1,
  alternating: (r) => r % 2,
  kaggleLike: (r) => (r < 30 ? 0 : 1),
};

interface Case {
  label: string;
  time: number[];
  uIn: (r: number) => number;
  uOut: (r: number) => number;
}

/** Every time pattern with every u_in pattern, u_out patterns in turn; (R, C) pairs in turn. */
const cases: Case[] = [];
for (const [tName, time] of Object.entries(timePatterns)) {
  for (const [uName, uIn] of Object.entries(uInPatterns)) {
    for (const [oName, uOut] of Object.entries(uOutPatterns)) cases.push({ label: `time ${tName}, u_in ${uName}, u_out ${oName}`, time: time(), uIn, uOut });
  }
}

function extremeTable(): BreathTable {
  const table = allocateBreathTable(cases.length, true);
  cases.forEach((c, b) => {
    table.breathId[b] = b + 1;
    table.R[b] = R_VALUES[b % 3];
    table.C[b] = C_VALUES[Math.floor(b / 3) % 3];
    for (let r = 0; r < R; r++) {
      const i = b * R + r;
      table.id[i] = i + 1;
      table.timeStep[i] = c.time[r];
      table.uIn[i] = c.uIn(r);
      table.uOut[i] = c.uOut(r);
      table.pressure![i] = r % 2 === 0 ? PRESSURE_RANGE.min : PRESSURE_RANGE.max;
    }
  });
  return table;
}

const table = extremeTable();

test('the extreme breaths are valid input: in range and strictly increasing in time', () => {
  for (let b = 0; b < table.nBreaths; b++) {
    for (let r = 0; r < R; r++) {
      const i = b * R + r;
      assert.ok(table.timeStep[i] >= T_MIN && table.timeStep[i] <= T_MAX, cases[b].label);
      assert.ok(table.uIn[i] >= U_MIN && table.uIn[i] <= U_MAX, cases[b].label);
      if (r > 0) assert.ok(table.timeStep[i] > table.timeStep[i - 1], `${cases[b].label}, row ${r}`);
    }
  }
  assert.equal(nextUp(timePatterns.packedAtTop()[R - 2]), T_MAX);
});

test('every registered feature is finite on every extreme breath', () => {
  const features = featureRegistry.list();
  assert.ok(features.length >= 20);
  for (const feature of features) {
    const columns = computeColumns(table, [feature]);
    assert.equal(columns.size, feature.columns.length);
    for (const [name, values] of columns) {
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        const b = Math.floor(bad / R);
        assert.fail(`feature ${feature.name}, column ${name}: ${values[bad]} at row ${bad % R} of breath "${cases[b].label}"`);
      }
    }
  }
});

test('every scaler, fitted on all breaths or on the breaths of one time pattern, gives finite model inputs for every breath', () => {
  const all = Array.from({ length: table.nBreaths }, (_, b) => b);
  const fits = [all, ...Object.keys(timePatterns).map((name) => all.filter((b) => cases[b].label.startsWith(`time ${name},`)))];
  for (const set of featureRegistry.listSets()) {
    const layout = buildFeatures(table, set.name);
    for (const kind of scalerRegistry.names()) {
      for (const breaths of fits) {
        const scaled = applyScaler(fitScaler(kind, layout, breaths), layout).features;
        const bad = scaled.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) {
          const row = Math.floor(bad / layout.nFeatures);
          const fittedOn = breaths === all ? 'all breaths' : `the breaths with ${cases[breaths[0]].label.split(',')[0]}`;
          assert.fail(
            `set ${set.name}, ${kind} scaler fitted on ${fittedOn}: ${layout.featureNames[bad % layout.nFeatures]} = ${scaled[bad]} ` +
              `(unscaled ${layout.features[bad]}) at row ${row % R} of breath "${cases[Math.floor(row / R)].label}"`,
          );
        }
      }
    }
  }
});
