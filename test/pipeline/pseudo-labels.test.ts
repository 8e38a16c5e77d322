// The pseudo-labels file's rows and weights, and the train + test data set round 2 trains on.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROWS_PER_BREATH } from '../../dataset/index.ts';
import { pseudoLabelsOf, readPseudoLabels, withPseudoLabels, writePseudoLabels } from '../../pipeline/pseudo-labels.ts';

const uOut = Uint8Array.from({ length: 2 * ROWS_PER_BREATH }, (_, r) => (r % ROWS_PER_BREATH < 30 ? 0 : 1));
const predictions = Float64Array.from({ length: uOut.length }, (_, r) => 5 + r / 10);

test('rows "inspiratory" weighs only u_out == 0 rows, "all" every row; labels are the predictions', () => {
  const insp = pseudoLabelsOf(predictions, uOut, { rows: 'inspiratory', weight: 0.5 });
  insp.weight.forEach((w, r) => assert.equal(w, uOut[r] === 0 ? 0.5 : 0));
  insp.pressure.forEach((p, r) => assert.equal(p, Math.fround(predictions[r])));
  assert.ok(pseudoLabelsOf(predictions, uOut, { rows: 'all', weight: 2 }).weight.every((w) => w === 2));
  const broken = predictions.slice();
  broken[7] = Number.NaN;
  assert.throws(() => pseudoLabelsOf(broken, uOut, { rows: 'all', weight: 1 }), /test row 7 has no finite prediction/);
});

test('the labels file round-trips, and round 2 data is the train breaths then the labelled test breaths', () => {
  const labels = pseudoLabelsOf(predictions, uOut, { rows: 'inspiratory', weight: 0.5 });
  const path = join(mkdtempSync(join(tmpdir(), 'tidal-labels-')), 'pseudo-labels.arrow');
  writePseudoLabels(path, labels);
  assert.deepEqual(readPseudoLabels(path), labels);

  const f = 2;
  const trainRows = 3 * ROWS_PER_BREATH;
  const train = {
    x: Float32Array.from({ length: trainRows * f }, (_, i) => i),
    mask: new Uint8Array(trainRows).fill(1),
    target: new Float32Array(trainRows).fill(9),
    nBreaths: 3,
    nFeatures: f,
  };
  const testX = Float32Array.from({ length: uOut.length * f }, (_, i) => -i);
  const data = withPseudoLabels(train, { x: testX, mask: Uint8Array.from(uOut, (u) => 1 - u), nBreaths: 2 }, labels);
  assert.equal(data.nBreaths, 5);
  assert.deepEqual(data.x.subarray(trainRows * f), testX);
  assert.deepEqual(data.target.subarray(trainRows), labels.pressure);
  assert.ok(data.weight!.subarray(0, trainRows).every((w) => w === 1));
  assert.deepEqual(data.weight!.subarray(trainRows), labels.weight);
  assert.equal(data.mask[trainRows], 1);
  assert.equal(data.mask[trainRows + 40], 0);

  // Train and test features scaled into one array (as a round-2 job does): round 2 trains on that
  // array itself, not on a third copy.
  const joined = new Float32Array(train.x.length + testX.length);
  joined.set(train.x);
  joined.set(testX, train.x.length);
  const shared = withPseudoLabels({ ...train, x: joined.subarray(0, train.x.length) }, { x: joined.subarray(train.x.length), mask: Uint8Array.from(uOut, (u) => 1 - u), nBreaths: 2 }, labels);
  assert.equal(shared.x.buffer, joined.buffer);
  assert.deepEqual(shared.x, data.x);
});
