import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PRESSURE_LEVELS, PRESSURE_MAX, PRESSURE_MIN, PRESSURE_STEP, distanceToGrid, levelPressure, pressureLevel, snapAllToGrid, snapToGrid } from '../../core/index.ts';

/** The sensor's pressure for a 12-bit ADC code (docs/ventilator.md): codes 1098..2047. */
function adcPressure(code: number): number {
  return 35.15 * ((code * 16 * 4.096) / 32767 - 2.25);
}

describe('pressure grid', () => {
  it('has 950 levels from MIN to the documented MAX', () => {
    assert.equal(PRESSURE_LEVELS, 950);
    assert.ok(Math.abs(PRESSURE_MAX - 64.8209917386395) < 1e-9, String(PRESSURE_MAX));
    assert.ok(Math.abs(levelPressure(0) - -1.895744294564641) < 1e-12);
    assert.ok(Math.abs(levelPressure(949) - PRESSURE_MAX) < 1e-12);
  });

  it('matches the ADC formula at every level', () => {
    for (let k = 0; k < 950; k++) {
      assert.ok(Math.abs(levelPressure(k) - adcPressure(1098 + k)) < 1e-9, `level ${k}`);
    }
  });

  it('maps each level to its index and back', () => {
    for (let k = 0; k < PRESSURE_LEVELS; k++) {
      assert.equal(pressureLevel(levelPressure(k)), k);
      assert.equal(snapToGrid(levelPressure(k)), levelPressure(k));
      assert.equal(distanceToGrid(levelPressure(k)), 0);
    }
  });

  it('snaps to the nearest level', () => {
    const k = 300;
    assert.equal(snapToGrid(levelPressure(k) + 0.4 * PRESSURE_STEP), levelPressure(k));
    assert.equal(snapToGrid(levelPressure(k) - 0.4 * PRESSURE_STEP), levelPressure(k));
    assert.equal(snapToGrid(levelPressure(k) + 0.6 * PRESSURE_STEP), levelPressure(k + 1));
    assert.equal(pressureLevel(levelPressure(k) - 0.6 * PRESSURE_STEP), k - 1);
    // A value written with 10 significant digits is within 1e-6 of its level.
    const written = Number(levelPressure(k).toPrecision(10));
    assert.ok(distanceToGrid(written) < 1e-6);
    assert.equal(snapToGrid(written), levelPressure(k));
    assert.ok(Math.abs(distanceToGrid(levelPressure(k) + 0.25 * PRESSURE_STEP) - 0.25 * PRESSURE_STEP) < 1e-12);
  });

  it('clips values outside the grid to MIN and MAX', () => {
    assert.equal(snapToGrid(-50), PRESSURE_MIN);
    assert.equal(pressureLevel(-50), 0);
    assert.equal(snapToGrid(PRESSURE_MIN - 0.6 * PRESSURE_STEP), PRESSURE_MIN);
    assert.equal(snapToGrid(1000), levelPressure(949));
    assert.equal(pressureLevel(PRESSURE_MAX + 3), 949);
  });

  it('snaps a whole array in place', () => {
    const values = Float32Array.from([-9, 5.01, 70]);
    const out = snapAllToGrid(values);
    assert.equal(out, values);
    assert.deepEqual(Array.from(values), [PRESSURE_MIN, snapToGrid(5.01), levelPressure(949)].map(Math.fround));
    assert.equal(pressureLevel(5.01), Math.round((5.01 - PRESSURE_MIN) / PRESSURE_STEP));
  });
});
