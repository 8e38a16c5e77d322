import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../core/index.ts';
import { quantileInPlace, selectInPlace } from '../../features/index.ts';

/** numpy's default ('linear') quantile on a sorted copy: the reference the scaler must match. */
function sortedQuantile(values: Float32Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const position = q * (sorted.length - 1);
  const k = Math.floor(position);
  return k + 1 < sorted.length ? sorted[k] + (position - k) * (sorted[k + 1] - sorted[k]) : sorted[k];
}

test('selection and quantiles match a sorted reference, with and without many ties', () => {
  const rng = createRng(5, 'quantile-test');
  for (const n of [1, 2, 3, 10, 101, 1000, 4097]) {
    for (const ties of [false, true]) {
      const values = Float32Array.from({ length: n }, () => (ties ? Math.floor(rng() * 4) : rng() * 200 - 100));
      const sorted = Float64Array.from(values).sort();
      for (const k of [0, Math.floor(n / 3), n - 1]) {
        const copy = values.slice();
        assert.equal(selectInPlace(copy, k), sorted[k], `n=${n} k=${k} ties=${ties}`);
        for (let i = k + 1; i < n; i++) assert.ok(copy[i] >= copy[k]);
      }
      for (const q of [0, 0.25, 0.5, 0.75, 1]) {
        assert.ok(Math.abs(quantileInPlace(values.slice(), q) - sortedQuantile(values, q)) < 1e-9, `n=${n} q=${q} ties=${ties}`);
      }
    }
  }
});
