/**
 * `tidal submit` on a real pipeline run folder: into the run's own submission it rewrites every
 * artefact that describes it (blend/oof.arrow, the stage record, metrics, report.md, report.html),
 * a later `tidal run` rebuilds the config's blend (or keeps a record made with the same recipe),
 * `--out` elsewhere leaves the folder alone, and a pseudo-labelled run rebuilds round 2 only.
 * One pseudo-labelled run trains; the plain run is its round 1, reused from a copy.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PRESSURE_MAX, PRESSURE_MIN, PRESSURE_STEP } from '../../core/index.ts';
import { readTestCsv, readTrainCsv } from '../../dataset/index.ts';
import { readPredictionColumn } from '../../submissions/index.ts';
import { tidal } from './cli-runs.ts';

const root = mkdtempSync(join(tmpdir(), 'tidal-submit-run-'));

const plainConfig = {
  name: 'resubmit',
  seed: 5,
  input: { kind: 'simulate', breaths: 120, testBreaths: 40 },
  folds: { k: 2 },
  models: [
    { name: 'bilstm', size: 'small' },
    { name: 'conv-bilstm', size: 'small' },
  ],
  recipe: { epochs: 1, batchSize: 16, lr: 0.01 },
};
const pseudoConfig = { ...plainConfig, pseudoLabel: { rows: 'inspiratory', weight: 0.5, source: 'submission' } };

function configFile(name: string, config: object): string {
  const file = join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}
const plainFile = configFile('plain', plainConfig);
const pseudoFile = configFile('pseudo', pseudoConfig);

function ok(args: string[]): string {
  const r = tidal(args);
  assert.equal(r.status, 0, `tidal ${args.join(' ')}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const bytes = (...parts: string[]) => readFileSync(join(...parts));
const json = (...parts: string[]) => JSON.parse(bytes(...parts).toString());
const sha256 = (...parts: string[]) => createHash('sha256').update(bytes(...parts)).digest('hex');
const copy = (from: string, name: string) => {
  const to = join(root, name);
  cpSync(from, to, { recursive: true });
  return to;
};

/** Every file of a folder and the hash of its bytes. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), sha256(path));
    }
  };
  walk(dir);
  return files;
}

/** submission.csv's pressures by id. */
function submissionById(path: string): Map<number, number> {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  return new Map(lines.map((line) => line.split(',').map(Number) as [number, number]));
}

/** Inspiratory MAE, computed here from the files. */
function inspiratoryMae(pred: ArrayLike<number>, truth: ArrayLike<number>, uOut: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < uOut.length; i++) {
    if (uOut[i] === 0) {
      sum += Math.abs(pred[i] - truth[i]);
      n++;
    }
  }
  return sum / n;
}

// The pseudo-labelled run trains both rounds; the plain config then reuses its round 1 in a copy.
const pseudo = join(root, 'pseudo');
ok(['run', '--config', pseudoFile, '--out', pseudo]);
const plain = copy(pseudo, 'plain');
ok(['run', '--config', plainFile, '--out', plain]);
const models = plainConfig.models.map((m) => m.name);

test('tidal submit with another recipe rewrites every artefact that describes the submission, and tidal report agrees', async () => {
  const dir = copy(plain, 'mean-no-invert');
  const out = ok(['submit', '--run', dir, '--models', 'mean', '--no-invert']);
  assert.match(out, /the submission: models blended by mean, each model's folds by median; post-processing: snapping to the pressure grid/);
  assert.notDeepEqual(bytes(dir, 'submission.csv'), bytes(plain, 'submission.csv'));

  // blend/oof.arrow is the mean of the models' out-of-fold predictions.
  const oofs = models.map((m) => readPredictionColumn(join(dir, 'predictions', m, 'oof.arrow')));
  const blendOof = readPredictionColumn(join(dir, 'blend', 'oof.arrow'));
  blendOof.forEach((v, i) => assert.ok(Math.abs(v - (oofs[0][i] + oofs[1][i]) / 2) < 1e-5, `blend oof row ${i}`));

  // submission.csv is the mean over models of each model's fold median (2 folds: their mean), snapped, not inverted.
  const testTable = await readTestCsv(join(dir, 'input', 'test.csv'));
  const folds = models.flatMap((m) => [0, 1].map((k) => readPredictionColumn(join(dir, 'predictions', m, `test-fold${k}.arrow`))));
  const submitted = submissionById(join(dir, 'submission.csv'));
  testTable.id.forEach((id, r) => {
    const blend = Math.min(PRESSURE_MAX, Math.max(PRESSURE_MIN, folds.reduce((s, f) => s + f[r], 0) / folds.length));
    assert.ok(Math.abs(submitted.get(id)! - blend) <= PRESSURE_STEP / 2 + 1e-4, `id ${id}: ${submitted.get(id)} vs blend ${blend}`);
  });

  // The record, the metrics and both reports describe this blend.
  const train = await readTrainCsv(join(dir, 'input', 'train.csv'));
  const blendMae = inspiratoryMae(blendOof, train.pressure!, train.uOut);
  const record = json(dir, 'stages', 'submit.json');
  assert.equal(record.result.recipe.models, 'mean');
  assert.equal(record.result.recipe.invert, false);
  assert.equal(record.result.files.submission, sha256(dir, 'submission.csv'));
  assert.equal(record.result.files.blendOof, sha256(dir, 'blend', 'oof.arrow'));
  assert.ok(Math.abs(record.result.blendOofMae - blendMae) < 1e-5, `${record.result.blendOofMae} vs ${blendMae}`);
  assert.equal(record.result.blendWeights, null);
  const answers = submissionById(join(dir, 'input', 'test_answers.csv'));
  const testMae = inspiratoryMae(Array.from(testTable.id, (id) => submitted.get(id)!), Array.from(testTable.id, (id) => answers.get(id)!), testTable.uOut);
  // submission.csv rounds its values: the score from its text agrees to that precision.
  assert.ok(Math.abs(record.result.testMae - testMae) < 1e-6, `${record.result.testMae} vs ${testMae}`);
  const { metrics } = json(dir, 'manifest.json');
  assert.equal(metrics.blendOofMae, record.result.blendOofMae);
  assert.equal(metrics.testMae, record.result.testMae);
  assert.deepEqual(metrics.blend, record.result.recipe);
  const report = bytes(dir, 'report.md').toString();
  assert.match(report, /The submission: models blended by mean, each model's folds by median; post-processing: snapping to the pressure grid\./);
  assert.match(report, /\|blend:mean\+snap\|/);
  const html = bytes(dir, 'report.html').toString();
  assert.match(html, /<td id="submission-recipe">models blended by mean, each model's folds by median; post-processing: snapping to the pressure grid<\/td>/);
  assert.ok(html.includes(`data-metric="metrics.blendOofMae" data-value="${metrics.blendOofMae}"`));
  assert.ok(html.includes('blend (mean)'));

  const before = bytes(dir, 'report.html');
  ok(['report', '--run', dir]);
  assert.deepEqual(bytes(dir, 'report.html'), before, 'tidal report rewrites the same page');

  // A later tidal run with the config rebuilds the config's blend: the files of the run before tidal submit.
  const rerun = ok(['run', '--config', plainFile, '--out', dir]);
  assert.match(rerun, /train: all 4 jobs already done/);
  const manifest = json(dir, 'manifest.json');
  assert.equal(manifest.stages.submit.cached, false);
  assert.equal(manifest.stages.train.cached, true);
  for (const file of ['submission.csv', 'blend/oof.arrow', 'report.md']) assert.deepEqual(bytes(dir, file), bytes(plain, file), file);
  assert.deepEqual(manifest.metrics, json(plain, 'manifest.json').metrics);
});

test("tidal submit with the config's recipe is kept by the next tidal run; a submission changed since is rebuilt", () => {
  const dir = copy(plain, 'same-recipe');
  ok(['submit', '--run', dir]);
  for (const file of ['submission.csv', 'blend/oof.arrow', 'report.md']) assert.deepEqual(bytes(dir, file), bytes(plain, file), file);
  ok(['run', '--config', plainFile, '--out', dir]);
  const { stages } = json(dir, 'manifest.json');
  assert.equal(stages.submit.cached, true);
  assert.equal(stages.report.cached, true);

  // Another file in submission.csv's place (an edit, a tidal submit from before records): rebuilt.
  const lines = bytes(dir, 'submission.csv').toString().split('\n');
  const [id] = lines[1].split(',');
  lines[1] = `${id},-999`;
  writeFileSync(join(dir, 'submission.csv'), lines.join('\n'));
  assert.match(ok(['report', '--run', dir]), /warning: .*submission\.csv \(or its blend\/oof\.arrow\) is not the file the submit stage recorded/);
  ok(['run', '--config', plainFile, '--out', dir]);
  assert.equal(json(dir, 'manifest.json').stages.submit.cached, false);
  assert.deepEqual(bytes(dir, 'submission.csv'), bytes(plain, 'submission.csv'));
});

test('tidal submit --out elsewhere writes that file only, and --help says so', () => {
  const dir = copy(plain, 'out-elsewhere');
  const before = snapshot(dir);
  const file = join(root, 'elsewhere.csv');
  const out = ok(['submit', '--run', dir, '--models', 'mean', '--no-snap', '--out', file]);
  assert.match(out, /the run folder .* is untouched/);
  assert.deepEqual(snapshot(dir), before);
  assert.equal(submissionById(file).size, submissionById(join(dir, 'submission.csv')).size);
  assert.match(ok(['submit', '--help']).replace(/\s+/g, ' '), /leave the run folder untouched/);
  const badTolerance = tidal(['submit', '--run', dir, '--tolerance', 'tight']);
  assert.equal(badTolerance.status, 1);
  assert.match(badTolerance.stderr, /--tolerance must be a number > 0 \(cmH2O\), got NaN/);
  assert.deepEqual(snapshot(dir), before);
});

test('in a pseudo-labelled run tidal submit rebuilds round 2, the one tidal run submits, and leaves round 1 alone', () => {
  const dir = copy(pseudo, 'pseudo-no-invert');
  const round1 = ['submission.csv', 'blend/oof.arrow', 'stages/submit.json', 'round-2/pseudo-labels.arrow'];
  const out = ok(['submit', '--run', dir, '--no-invert']);
  assert.match(out, /round 2 of a pseudo-labelled run/);
  for (const file of round1) assert.deepEqual(bytes(dir, file), bytes(pseudo, file), file);
  assert.notDeepEqual(bytes(dir, 'round-2', 'submission.csv'), bytes(pseudo, 'round-2', 'submission.csv'));
  const record = json(dir, 'stages', 'submit-round-2.json');
  assert.equal(record.result.recipe.invert, false);
  assert.equal(record.result.files.submission, sha256(dir, 'round-2', 'submission.csv'));
  assert.equal(record.result.files.blendOof, sha256(dir, 'round-2', 'blend', 'oof.arrow'));
  assert.equal(record.result.inversionCoverage, 0);
  const { metrics } = json(dir, 'manifest.json');
  assert.equal(metrics.blend.invert, true);
  assert.equal(metrics.round2.blend.invert, false);
  assert.equal(metrics.round2.testMae, record.result.testMae);
  assert.match(bytes(dir, 'report.md').toString(), /Round 2's submission \(round-2\/submission\.csv\): models blended by weights, each model's folds by median; post-processing: snapping to the pressure grid\./);

  // Round 1's submission is what labelled round 2: not a place for round 2's blend.
  const refused = tidal(['submit', '--run', dir, '--out', join(dir, 'submission.csv')]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /is round 1's submission, whose blend labelled round 2/);

  const rerun = ok(['run', '--config', pseudoFile, '--out', dir]);
  assert.match(rerun, /train-round-2: all 4 jobs already done/);
  const { stages } = json(dir, 'manifest.json');
  assert.equal(stages.submit.cached, true);
  assert.equal(stages['submit-round-2'].cached, false);
  for (const file of [...round1, 'round-2/submission.csv', 'round-2/blend/oof.arrow', 'report.md']) assert.deepEqual(bytes(dir, file), bytes(pseudo, file), file);
});
