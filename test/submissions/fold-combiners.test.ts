import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../../core/index.ts';
import { foldCombiners } from '../../submissions/index.ts';

const folds = [Float32Array.of(1, 10, 5), Float32Array.of(2, 10.2, 5), Float32Array.of(9, 10.1, 5), Float32Array.of(4, 10.3, 5)];

test('mean and median of fold predictions per row', () => {
  assert.deepEqual([...foldCombiners.get('mean').combine(folds)], [4, Math.fround(40.6 / 4), 5].map(Math.fround));
  // Row 0 sorted: 1, 2, 4, 9 -> median (2 + 4) / 2 = 3.
  assert.deepEqual([...foldCombiners.get('median').combine(folds)], [3, Math.fround((10.1 + 10.2) / 2), 5].map(Math.fround));
});

test('better-than-median: mean where the folds agree within the threshold, median elsewhere', () => {
  const out = foldCombiners.get('better-than-median').combine(folds);
  // Row 0 spreads over 8 -> median 3; row 1 spreads over 0.3 <= 0.45 -> mean.
  assert.equal(out[0], 3);
  assert.ok(Math.abs(out[1] - (10 + 10.2 + 10.1 + 10.3) / 4) < 1e-5);
  const strict = foldCombiners.get('better-than-median').combine(folds, { agreement: 0.1 });
  assert.ok(Math.abs(strict[1] - (10.1 + 10.2) / 2) < 1e-5);
  assert.throws(() => foldCombiners.get('better-than-median').combine(folds, { agreement: -1 }), /agreement/);
});

test('every fold combiner returns the common value when folds agree, and checks lengths', () => {
  const same = [Float32Array.of(7.5, -1), Float32Array.of(7.5, -1), Float32Array.of(7.5, -1)];
  for (const name of foldCombiners.names()) {
    assert.deepEqual([...foldCombiners.get(name).combine(same)], [7.5, -1], name);
    assert.throws(() => foldCombiners.get(name).combine([Float32Array.of(1), Float32Array.of(1, 2)]), /rows/, name);
    assert.throws(() => foldCombiners.get(name).combine([]), /no predictions/, name);
  }
});

test('registries refuse a duplicate name and name the known ones for an unknown name', () => {
  const registry = createRegistry<{ name: string }>('thing');
  registry.register({ name: 'a' });
  assert.throws(() => registry.register({ name: 'a' }), /thing 'a' is already registered/);
  assert.throws(() => foldCombiners.get('nope'), /unknown fold combiner 'nope'; known: mean, median, better-than-median/);
  assert.throws(() => foldCombiners.register(foldCombiners.get('mean')), /already registered/);
});
