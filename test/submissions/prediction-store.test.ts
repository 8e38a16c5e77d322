import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunPredictions, saveModelPredictions } from '../../submissions/index.ts';

test('model predictions round-trip through Arrow IPC files under predictions/<model>/', () => {
  const run = mkdtempSync(join(tmpdir(), 'tidal-run-'));
  const lstm = { oof: Float32Array.of(1.5, 2.25, -3), testByFold: [Float32Array.of(4, 5), Float32Array.of(6, 7)] };
  const conv = { oof: Float32Array.of(0, 1, 2), testByFold: [Float32Array.of(1, 1), Float32Array.of(2, 2)] };
  saveModelPredictions(run, 'lstm', lstm);
  saveModelPredictions(run, 'conv', conv);
  const loaded = loadRunPredictions(run, { models: ['conv', 'lstm'], folds: 2 });
  assert.deepEqual(loaded.models, ['conv', 'lstm']);
  assert.deepEqual(loaded.byModel.get('lstm'), lstm);
  assert.deepEqual(loaded.byModel.get('conv'), conv);
});

test('a blend loads exactly the selected models and folds, and a resave drops folds the model no longer has', () => {
  const run = mkdtempSync(join(tmpdir(), 'tidal-run-'));
  saveModelPredictions(run, 'a', { oof: Float32Array.of(1, 2), testByFold: [Float32Array.of(1), Float32Array.of(2), Float32Array.of(3)] });
  saveModelPredictions(run, 'old', { oof: Float32Array.of(9, 9), testByFold: [Float32Array.of(9)] });
  saveModelPredictions(run, 'a', { oof: Float32Array.of(3, 4), testByFold: [Float32Array.of(5), Float32Array.of(6)] });
  assert.equal(existsSync(join(run, 'predictions', 'a', 'test-fold2.arrow')), false);
  const loaded = loadRunPredictions(run, { models: ['a'], folds: 2 });
  assert.deepEqual(loaded.models, ['a']);
  assert.deepEqual(loaded.byModel.get('a')!.testByFold, [Float32Array.of(5), Float32Array.of(6)]);
  assert.throws(() => loadRunPredictions(run, { models: ['a'], folds: 3 }), /test-fold2\.arrow: missing/);
});

test('loading refuses missing files and models that disagree on row counts', () => {
  const run = mkdtempSync(join(tmpdir(), 'tidal-run-'));
  assert.throws(() => loadRunPredictions(run, { models: ['a'], folds: 1 }), /missing \(train the run first\)/);
  saveModelPredictions(run, 'a', { oof: Float32Array.of(1, 2), testByFold: [Float32Array.of(1)] });
  saveModelPredictions(run, 'b', { oof: Float32Array.of(1, 2, 3), testByFold: [Float32Array.of(1)] });
  assert.throws(() => loadRunPredictions(run, { models: ['a', 'b'], folds: 1 }), /model 'b' has 3 OOF rows, 'a' has 2/);
  mkdirSync(join(run, 'predictions', 'c'));
  writeFileSync(join(run, 'predictions', 'c', 'notes.txt'), '');
  assert.throws(() => loadRunPredictions(run, { models: ['a', 'c'], folds: 1 }), /c[/\\]oof.arrow: missing/);
  assert.throws(() => saveModelPredictions(run, '../x', { oof: Float32Array.of(1), testByFold: [Float32Array.of(1)] }), /model id/);
});
