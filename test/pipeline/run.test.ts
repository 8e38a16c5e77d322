/**
 * The whole pipeline through the real CLI on the smoke preset: same seed gives the same bytes, a
 * rerun reuses every stage, and a run killed with SIGKILL mid-training resumes to the same
 * submission, byte for byte, as an uninterrupted one.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runAndKillAt, tidal } from './cli-runs.ts';

const root = mkdtempSync(join(tmpdir(), 'tidal-run-'));


test('a smoke run writes a complete run folder and a scored submission', () => {
  const out = join(root, 'a');
  const r = tidal(['run', '--preset', 'smoke', '--out', out]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  for (const file of ['config.json', 'manifest.json', 'folds.csv', 'submission.csv', 'log.txt', 'report.md']) {
    assert.ok(existsSync(join(out, file)), `${file} missing`);
  }
  assert.deepEqual(readdirSync(join(out, 'predictions')).sort(), ['bilstm', 'conv-bilstm']);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.ok(['wasm', 'cpu'].includes(manifest.backend));
  assert.ok(Number.isFinite(manifest.metrics.testMae));
  assert.ok(Number.isFinite(manifest.metrics.baselineTestMae));
  const lines = readFileSync(join(out, 'submission.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'id,pressure');
  const sample = readFileSync(join(out, 'input', 'sample_submission.csv'), 'utf8').trim().split('\n');
  assert.deepEqual(lines.map((l) => l.split(',')[0]), sample.map((l) => l.split(',')[0]));
  assert.match(r.stdout, /test inspiratory MAE: submission \d+\.\d+, per-\(R, C, time\) baseline \d+\.\d+/);
  assert.match(r.stdout, /the blend before post-processing \(inversion, snapping\): \d+\.\d+/);
  assert.ok(Number.isFinite(manifest.metrics.blendTestMae));
  // What each of the two models adds: the blend refitted without it, in the terminal, the manifest and report.md.
  const added = manifest.metrics.modelContributions as { model: string; blendOofMaeWithout: number; cost: number }[];
  assert.deepEqual(added.map((c) => c.model), ['bilstm', 'conv-bilstm']);
  for (const c of added) {
    assert.ok(Math.abs(c.cost - (c.blendOofMaeWithout - manifest.metrics.blendOofMae)) < 1e-9);
    assert.match(r.stdout, new RegExp(`without ${c.model} +${c.blendOofMaeWithout.toFixed(4)} `));
  }
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /\| without conv-bilstm \| \d+\.\d{4} \| [+-]\d+\.\d{4} \|/);
});

test('a second run with the same config trains nothing and writes the same submission', () => {
  const out = join(root, 'a');
  const before = readFileSync(join(out, 'submission.csv'));
  const r = tidal(['run', '--preset', 'smoke', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /train: all 4 jobs already done/);
  assert.doesNotMatch(r.stdout, /simulate:/);
  assert.deepEqual(readFileSync(join(out, 'submission.csv')), before);
});

test('a run killed mid-training resumes to the same submission bytes as an uninterrupted run', async () => {
  const out = join(root, 'b');
  // Killed after the first epoch of the second job: one job done, one with a resume state.
  await runAndKillAt(['run', '--preset', 'smoke', '--out', out], /bilstm fold 1: 1\/\d+/);
  assert.ok(!existsSync(join(out, 'submission.csv')));
  const r = tidal(['run', '--preset', 'smoke', '--out', out]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /train: 3 of 4 \(model, fold\) jobs to run/);
  assert.deepEqual(readFileSync(join(out, 'submission.csv')), readFileSync(join(root, 'a', 'submission.csv')));
  assert.deepEqual(readFileSync(join(out, 'folds.csv')), readFileSync(join(root, 'a', 'folds.csv')));
});

test('a changed seed changes the folds and the submission', () => {
  const out = join(root, 'c');
  const r = tidal(['run', '--preset', 'smoke', '--out', out, '--seed', '7']);
  assert.equal(r.status, 0, r.stderr);
  assert.notDeepEqual(readFileSync(join(out, 'folds.csv')), readFileSync(join(root, 'a', 'folds.csv')));
  assert.notDeepEqual(readFileSync(join(out, 'submission.csv')), readFileSync(join(root, 'a', 'submission.csv')));
});

test('--until folds stops after the data stages, and the next run continues from them', () => {
  const out = join(root, 'd');
  const first = tidal(['run', '--preset', 'smoke', '--out', out, '--until', 'folds']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /stopped after folds/);
  assert.ok(existsSync(join(out, 'folds.csv')));
  assert.ok(!existsSync(join(out, 'jobs')));
  assert.ok(!existsSync(join(out, 'submission.csv')));
  const second = tidal(['run', '--preset', 'smoke', '--out', out]);
  assert.equal(second.status, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /simulate:/);
  assert.deepEqual(readFileSync(join(out, 'submission.csv')), readFileSync(join(root, 'a', 'submission.csv')));
});
