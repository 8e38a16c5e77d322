import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../../core/index.ts';
import { readTestCsv, readTrainCsv, type BreathTable } from '../../dataset/index.ts';
import { assignFolds, writeFoldsCsv } from '../../folds/index.ts';
import { inspiratoryMaeFromUOut, readIdValues, saveModelPredictions } from '../../submissions/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidal-cli-'));
const file = (name: string) => join(dir, name);

function tidal(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/tidal.js', ...args], { encoding: 'utf8' });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

const simulated = tidal('simulate', '--breaths', '240', '--seed', '9', '--out', dir);

test('tidal score: exact answers score 0, zeros score the mean inspiratory pressure, per (R, C) pair', async () => {
  assert.equal(simulated.status, 0, simulated.err);
  const exact = tidal('score', '--submission', file('test_answers.csv'), '--answers', file('test_answers.csv'), '--test', file('test.csv'));
  assert.equal(exact.status, 0, exact.err);
  assert.match(exact.out, /inspiratory MAE: 0\.00000 over \d+ rows/);
  const zeros = tidal('score', '--submission', file('sample_submission.csv'), '--answers', file('test_answers.csv'), '--test', file('test.csv'));
  assert.equal(zeros.status, 0, zeros.err);
  const test = await readTestCsv(file('test.csv'));
  const answers = await readIdValues(file('test_answers.csv'), test.id);
  let sum = 0;
  let n = 0;
  test.uOut.forEach((u, i) => {
    if (u === 0) {
      sum += Math.abs(answers[i]);
      n++;
    }
  });
  assert.match(zeros.out, new RegExp(`inspiratory MAE: ${(sum / n).toFixed(5)} over ${n} rows`));
  assert.match(zeros.out, /\|pair\|rows\|mae\|/);
  assert.match(zeros.out, /\|all\|/);
});

test('tidal score names a missing id', () => {
  const lines = readFileSync(file('test_answers.csv'), 'utf8').split('\n');
  const dropped = lines[5].split(',')[0];
  writeFileSync(file('short.csv'), [...lines.slice(0, 5), ...lines.slice(6)].join('\n'));
  const result = tidal('score', '--submission', file('short.csv'), '--answers', file('test_answers.csv'), '--test', file('test.csv'));
  assert.equal(result.status, 1);
  assert.match(result.err, new RegExp(`short\\.csv: missing id ${dropped}`));
});

test('tidal score names a folder or a missing file given as an argument, and what was expected', () => {
  assert.equal(simulated.status, 0, simulated.err);
  const folder = file('a-folder');
  mkdirSync(folder, { recursive: true });
  const asFolder = tidal('score', '--submission', folder, '--answers', file('test_answers.csv'), '--test', file('test.csv'));
  assert.equal(asFolder.status, 1);
  assert.match(asFolder.err, new RegExp(`^tidal: ${folder}: is a folder, not a file; expected a CSV file with the columns id,pressure\n$`));
  const missing = file('no-such-answers.csv');
  const asMissing = tidal('score', '--submission', file('test_answers.csv'), '--answers', missing, '--test', file('test.csv'));
  assert.equal(asMissing.status, 1);
  assert.match(asMissing.err, new RegExp(`^tidal: ${missing}: no such file; expected a CSV file with the columns id,pressure\n$`));
});

function noisy(values: ArrayLike<number>, seed: number, scale: number): Float32Array {
  const rng = createRng(seed, 'cli-model');
  return Float32Array.from(values, (p) => p + scale * (2 * rng() - 1));
}

test('tidal submit rebuilds blend and submission from saved predictions, and its score matches tidal score', async () => {
  assert.equal(simulated.status, 0, simulated.err);
  const run = file('run');
  const train: BreathTable = await readTrainCsv(file('train.csv'));
  const test = await readTestCsv(file('test.csv'));
  const answers = await readIdValues(file('test_answers.csv'), test.id);
  writeFoldsCsv(join(run, 'folds.csv'), assignFolds(train, { nFolds: 3, seed: 2, stratified: true }));
  writeFileSync(
    join(run, 'manifest.json'),
    JSON.stringify({ inputs: { train: file('train.csv'), test: file('test.csv'), sampleSubmission: file('sample_submission.csv'), answers: file('test_answers.csv') } }),
  );
  const models = [
    ['good', 0.3],
    ['bad', 3],
  ] as const;
  models.forEach(([name, scale], m) =>
    saveModelPredictions(run, name, {
      oof: noisy(train.pressure!, 10 + m, scale),
      testByFold: [0, 1, 2].map((k) => noisy(answers, 100 * m + k, scale)),
    }),
  );
  const result = tidal('submit', '--run', run);
  assert.equal(result.status, 0, result.err);
  assert.match(result.out, /\|name\|all\|/);
  assert.match(result.out, /blend weights: bad 0\.0\d\d, good 0\.9\d\d/);
  assert.match(result.out, /controller inversion: train \d+\.\d% .*MAE on solved rows 0\.00e\+0/);
  const printed = Number(/test inspiratory MAE: ([\d.]+)/.exec(result.out)![1]);
  const single = inspiratoryMaeFromUOut(noisy(answers, 0, 0.3), answers, test.uOut);
  assert.ok(printed < single, `submission ${printed} vs one fold of the good model ${single}`);
  const scored = tidal('score', '--submission', join(run, 'submission.csv'), '--answers', file('test_answers.csv'), '--test', file('test.csv'));
  assert.equal(scored.status, 0, scored.err);
  assert.match(scored.out, new RegExp(`inspiratory MAE: ${printed.toFixed(5)}`));

  const plain = tidal('submit', '--run', run, '--folds', 'mean', '--models', 'median', '--no-invert', '--no-snap', '--out', file('plain.csv'));
  assert.equal(plain.status, 0, plain.err);
  assert.doesNotMatch(plain.out, /controller inversion/);
  assert.match(plain.out, /blend:median/);
});
