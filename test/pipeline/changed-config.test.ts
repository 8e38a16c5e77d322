/**
 * A run folder reused with a changed config ends exactly where a fresh run of the new config
 * does (nothing of the old config mixes in), a moved run folder resumes without retraining, and
 * `tidal submit` refuses predictions made from input files that have changed since.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const CLI = join(import.meta.dirname, '../../bin/tidal.js');
const root = mkdtempSync(join(tmpdir(), 'tidal-changed-'));

const base = {
  name: 'changed',
  seed: 3,
  input: { kind: 'simulate', breaths: 120, testBreaths: 40 },
  folds: { k: 3 },
  models: [
    { name: 'bilstm', size: 'small' },
    { name: 'conv-bilstm', size: 'small' },
  ],
  recipe: { epochs: 1, batchSize: 16, lr: 0.01 },
};

function run(config: object, out: string, ...extra: string[]): string {
  const file = join(root, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  const r = spawnSync(process.execPath, [CLI, 'run', '--config', file, '--out', out, ...extra], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return r.stdout;
}

const bytes = (dir: string, file: string) => readFileSync(join(dir, file));

function assertSameOutputs(reused: string, fresh: string): void {
  assert.deepEqual(bytes(reused, 'submission.csv'), bytes(fresh, 'submission.csv'));
  assert.equal(bytes(reused, 'report.md').toString(), bytes(fresh, 'report.md').toString());
  const metrics = (dir: string) => JSON.parse(bytes(dir, 'manifest.json').toString()).metrics;
  assert.deepEqual(metrics(reused), metrics(fresh));
}

const reused = join(root, 'reused');

test('lowering k in a reused run folder gives the submission and report of a fresh run', () => {
  run(base, reused);
  const lower = { ...base, folds: { k: 2 } };
  run(lower, reused);
  const fresh = join(root, 'fresh-k2');
  run(lower, fresh);
  assertSameOutputs(reused, fresh);
});

test('removing a model from a reused run folder gives the submission and report of a fresh run', () => {
  const fewer = { ...base, folds: { k: 2 }, models: [base.models[0]] };
  const out = run(fewer, reused);
  assert.match(out, /train: all 2 jobs already done/);
  const fresh = join(root, 'fresh-one-model');
  run(fewer, fresh);
  assertSameOutputs(reused, fresh);
});

test("changing a model's config in a reused run folder retrains it and matches a fresh run", () => {
  const changed = { ...base, folds: { k: 2 }, models: [{ name: 'bilstm', size: 'small', config: { denseUnits: 4 } }, base.models[1]] };
  const out = run(changed, reused);
  assert.match(out, /train: 2 of 4 \(model, fold\) jobs to run/);
  const fresh = join(root, 'fresh-changed');
  run(changed, fresh);
  assertSameOutputs(reused, fresh);
});

test('a finished run folder copied elsewhere resumes without recomputing a stage or a job', () => {
  const fresh = join(root, 'fresh-k2');
  const moved = join(root, 'moved', 'elsewhere');
  cpSync(fresh, moved, { recursive: true });
  const out = run({ ...base, folds: { k: 2 } }, moved);
  assert.doesNotMatch(out, /simulate:|jobs to run/);
  const stages = JSON.parse(bytes(moved, 'manifest.json').toString()).stages as Record<string, { cached: boolean }>;
  assert.deepEqual(Object.entries(stages).filter(([, s]) => !s.cached).map(([name]) => name), []);
  assert.deepEqual(bytes(moved, 'submission.csv'), bytes(fresh, 'submission.csv'));
});

test('tidal submit refuses predictions whose test file has changed since training, and --retrain retrains', () => {
  const fresh = join(root, 'fresh-k2');
  const copy = join(root, 'stale');
  cpSync(fresh, copy, { recursive: true });
  const before = bytes(copy, 'submission.csv');
  appendFileSync(join(copy, 'input', 'test.csv'), '');
  const lines = bytes(copy, 'input/test.csv').toString().split('\n');
  const [id, breath, R, C, t, uIn, uOut] = lines[1].split(',');
  lines[1] = [id, breath, R, C, t, String(Number(uIn) + 1), uOut].join(',');
  writeFileSync(join(copy, 'input', 'test.csv'), lines.join('\n'));
  const refused = spawnSync(process.execPath, [CLI, 'submit', '--run', copy], { encoding: 'utf8' });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /test\.csv changed since .* was trained.*--retrain/s);
  const retrained = spawnSync(process.execPath, [CLI, 'submit', '--run', copy, '--retrain'], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  assert.equal(retrained.status, 0, retrained.stderr + retrained.stdout);
  assert.match(retrained.stdout, /jobs to run/);
  assert.notDeepEqual(bytes(copy, 'submission.csv'), before);
});
