/** The sentence under the learning curve's table says where the curve bottoms out and why. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curveReading } from '../../bench/quality-curve.ts';

test('a curve that falls to the last size says more data still pays', () => {
  const text = curveReading([
    { breaths: 1000, epochs: 30, mae: 0.5 },
    { breaths: 3000, epochs: 10, mae: 0.4 },
  ]);
  // 1 - 0.4 / 0.5 = 20%.
  assert.equal(text, 'From 1000 to 3000 breaths the test MAE after post-processing falls 20.0% (0.500 -> 0.400): more data still pays at this budget.');
});

test('a curve that stops falling names the sizes past its lowest point and their epochs', () => {
  const text = curveReading([
    { breaths: 1000, epochs: 30, mae: 0.5 },
    { breaths: 3000, epochs: 10, mae: 0.45 },
    { breaths: 10000, epochs: 3, mae: 0.47 },
    { breaths: 30000, epochs: 1, mae: 0.49 },
  ])!;
  assert.match(text, /^From 1000 to 3000 breaths .* falls 10\.0% \(0\.500 -> 0\.450\); past 3000 it does not fall/);
  assert.match(text, /0\.470 at 10000 breaths, 3 epochs a job; 0\.490 at 30000 breaths, 1 epoch a job/);
});

test('fewer than two scored sizes (no test answers) give no sentence', () => {
  assert.equal(curveReading([{ breaths: 1000, epochs: 5, mae: 0.5 }, { breaths: 3000, epochs: 2, mae: null }]), null);
});
