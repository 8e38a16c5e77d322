import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { levelPressure } from '../../core/index.ts';
import { writeSubmission } from '../../submissions/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidal-submission-'));
const ids = Int32Array.of(3, 1, 2);
const values = Float64Array.of(levelPressure(100), levelPressure(200), levelPressure(0));
const sample = Int32Array.of(1, 2, 3);

test('writes id,pressure in sample_submission order', async () => {
  const path = join(dir, 'ok.csv');
  await writeSubmission(path, ids, values, sample);
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'id,pressure');
  assert.deepEqual(
    lines.slice(1).map((l) => l.split(',').map(Number)),
    [
      [1, Number(levelPressure(200).toFixed(6))],
      [2, Number(levelPressure(0).toFixed(6))],
      [3, Number(levelPressure(100).toFixed(6))],
    ],
  );
});

test('refuses a missing id, a duplicate id, an extra id, NaN and off-grid values, writing nothing', async () => {
  const cases: [string, Int32Array, Float64Array, RegExp][] = [
    ['missing', Int32Array.of(3, 1), values.slice(0, 2), /missing id 2 \(row 2 of sample_submission\)/],
    ['duplicate', Int32Array.of(3, 1, 3), values, /duplicate id 3/],
    ['extra', Int32Array.of(3, 1, 2, 9), Float64Array.of(...values, levelPressure(5)), /id 9 is not in sample_submission/],
    ['nan', ids, Float64Array.of(values[0], NaN, values[2]), /pressure for id 1 is NaN/],
    ['offgrid', ids, Float64Array.of(values[0], values[1] + 0.01, values[2]), /not on the pressure grid/],
  ];
  for (const [name, badIds, badValues, message] of cases) {
    const path = join(dir, `${name}.csv`);
    await assert.rejects(writeSubmission(path, badIds, badValues, sample), message, name);
    assert.ok(!existsSync(path), `${name}: a file was written`);
  }
  // Off-grid values pass when the grid is not required (no snapping asked for).
  await writeSubmission(join(dir, 'unsnapped.csv'), ids, Float64Array.of(1.234, 5, 6), sample, { requireGrid: false });
  assert.ok(readdirSync(dir).every((f) => !f.endsWith('.tmp')));
});

test('writes 4,024,000 rows in a few seconds', async () => {
  const n = 4_024_000;
  const bigIds = Int32Array.from({ length: n }, (_, i) => i + 1);
  const bigValues = Float64Array.from({ length: n }, (_, i) => levelPressure(i % 950));
  const start = performance.now();
  await writeSubmission(join(dir, 'big.csv'), bigIds, bigValues, bigIds);
  const seconds = (performance.now() - start) / 1000;
  assert.ok(seconds < 10, `${seconds} s`);
});
