/**
 * Pseudo-labelling (config `pseudoLabel`): a run writes round 1 as before plus round-2/, the labels
 * are round 1's submission on the chosen rows, a changed weight or a killed run retrains round 2
 * only and ends as a fresh run does, and without `pseudoLabel` round 1 is untouched.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { readTestCsv } from '../../dataset/index.ts';
import { ConfigError, checkRun, parseRunConfig } from '../../pipeline/index.ts';
import { CLI, runAndKillAt, tidal } from './cli-runs.ts';
import { freePort, listening, redisSkip } from './redis-server.ts';

const root = mkdtempSync(join(tmpdir(), 'tidal-pseudo-'));

const round1 = {
  name: 'pseudo',
  seed: 3,
  input: { kind: 'simulate', breaths: 120, testBreaths: 40 },
  folds: { k: 2 },
  models: [{ name: 'bilstm', size: 'small' }],
  recipe: { epochs: 1, batchSize: 16, lr: 0.01 },
};
const withPseudo = (weight: number) => ({ ...round1, pseudoLabel: { rows: 'inspiratory', weight, source: 'submission' } });

function configFile(config: object): string {
  const file = join(root, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function run(config: object, out: string): string {
  const r = tidal(['run', '--config', configFile(config), '--out', out]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return r.stdout;
}

const bytes = (...parts: string[]) => readFileSync(join(...parts));
const stageKey = (dir: string, stage: string) => (JSON.parse(bytes(dir, 'stages', `${stage}.json`).toString()) as { key: string }).key;
const ROUND1_STAGES = ['input', 'ingest', 'features', 'folds', 'train', 'predictions', 'submit'];

/** submission.csv as id -> pressure. */
function submissionById(path: string): Map<number, number> {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  return new Map(lines.map((line) => line.split(',').map(Number) as [number, number]));
}

function labelsFile(dir: string): { pressure: Float32Array; weight: Float32Array } {
  const table = tableFromIPC(bytes(dir, 'round-2', 'pseudo-labels.arrow'));
  return { pressure: table.getChild('pressure')!.toArray() as Float32Array, weight: table.getChild('weight')!.toArray() as Float32Array };
}

const reused = join(root, 'reused');
const plain = join(root, 'plain');

test('the pseudoLabel settings are checked with the rest of the config, at their paths', () => {
  const bad = { ...round1, pseudoLabel: { rows: 'expiratory', weight: 0, recipe: { epochz: 3 } } };
  assert.throws(() => parseRunConfig(bad, 'bad.json'), (err: ConfigError) => /pseudoLabel\.rows/.test(err.message) && /pseudoLabel\.weight/.test(err.message));
  const badRecipe = parseRunConfig({ ...round1, pseudoLabel: { recipe: { epochz: 3, lr: -1 } } }, 'bad.json');
  assert.throws(() => checkRun(badRecipe), (err: ConfigError) => /pseudoLabel\.recipe\.epochz is not a recipe key/.test(err.message) && /pseudoLabel\.recipe\.lr/.test(err.message));
  const plan = checkRun(parseRunConfig({ ...round1, pseudoLabel: { recipe: { epochs: 2 } } }, 'ok.json'));
  assert.equal(plan.pseudoLabel?.models[0].recipe.epochs, 2);
  assert.equal(plan.models[0].recipe.epochs, 1);
  assert.equal(checkRun(parseRunConfig(round1, 'plain.json')).pseudoLabel, undefined);
});

test('a run with pseudoLabel writes round 1, the labels (round 1 submission on inspiratory rows) and round 2', async () => {
  run(round1, plain);
  // A copy of the plain run: round 1 is reused only if pseudoLabel leaves its keys as they were.
  cpSync(plain, reused, { recursive: true });
  const out = run(withPseudo(0.5), reused);
  assert.match(out, /train: all 2 jobs already done/);
  assert.match(out, /pseudo-label: \d+ of 3200 test rows labelled from round 1's submission \(weight 0\.5\)/);
  assert.match(out, /train-round-2: 2 of 2 \(model, fold\) jobs to run/);
  assert.match(out, /submission: .*round-2\/submission\.csv/);
  for (const file of ['submission.csv', 'blend/oof.arrow', 'jobs/bilstm/fold-1/done.json', 'round-2/submission.csv', 'round-2/blend/oof.arrow', 'round-2/jobs/bilstm/fold-1/done.json', 'round-2/predictions/bilstm/oof.arrow']) {
    assert.ok(existsSync(join(reused, file)), file);
  }
  // Round 1 is exactly the run without pseudoLabel.
  for (const stage of ROUND1_STAGES) assert.equal(stageKey(reused, stage), stageKey(plain, stage), stage);
  assert.deepEqual(bytes(reused, 'submission.csv'), bytes(plain, 'submission.csv'));

  const testTable = await readTestCsv(join(reused, 'input', 'test.csv'));
  const submitted = submissionById(join(reused, 'submission.csv'));
  const labels = labelsFile(reused);
  assert.equal(labels.pressure.length, testTable.id.length);
  let labelled = 0;
  for (let r = 0; r < testTable.id.length; r++) {
    if (testTable.uOut[r] === 0) {
      labelled++;
      assert.equal(labels.weight[r], 0.5);
      assert.ok(Math.abs(labels.pressure[r] - submitted.get(testTable.id[r])!) < 1e-4, `row ${r}`);
    } else {
      assert.equal(labels.weight[r], 0);
    }
  }
  assert.ok(labelled > 0);

  const report = bytes(reused, 'report.md').toString();
  assert.match(report, /## Pseudo-labelling/);
  assert.match(report, /\| test \(submission\) \| \d+\.\d{4} \| \d+\.\d{4} \|/);
  const metrics = JSON.parse(bytes(reused, 'manifest.json').toString()).metrics;
  assert.equal(typeof metrics.round2.testMae, 'number');
  assert.equal(metrics.round2.models[0].model, 'bilstm');
  assert.match(bytes(reused, 'report.html').toString(), /id="pseudo-label"/);
});

test('a changed pseudoLabel.weight retrains round 2 only', () => {
  const round1Done = bytes(reused, 'jobs', 'bilstm', 'fold-0', 'done.json');
  const round2Before = bytes(reused, 'round-2', 'jobs', 'bilstm', 'fold-0', 'done.json');
  const out = run(withPseudo(0.25), reused);
  assert.match(out, /train: all 2 jobs already done/);
  assert.match(out, /train-round-2: 2 of 2 \(model, fold\) jobs to run/);
  assert.deepEqual(bytes(reused, 'jobs', 'bilstm', 'fold-0', 'done.json'), round1Done);
  assert.deepEqual(bytes(reused, 'submission.csv'), bytes(plain, 'submission.csv'));
  assert.notDeepEqual(bytes(reused, 'round-2', 'jobs', 'bilstm', 'fold-0', 'done.json'), round2Before);
  assert.ok(labelsFile(reused).weight.every((w) => w === 0 || w === 0.25));
});

test('a run killed in round 2 resumes it and ends with the bytes of an uninterrupted run', async () => {
  const killed = join(root, 'killed');
  cpSync(plain, killed, { recursive: true });
  const file = configFile(withPseudo(0.25));
  await runAndKillAt(['run', '--config', file, '--out', killed], /round 2 bilstm fold 0: best MAE/);
  const r = tidal(['run', '--config', file, '--out', killed]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /train: all 2 jobs already done/);
  assert.match(r.stdout, /train-round-2: 1 of 2 \(model, fold\) jobs to run/);
  assert.deepEqual(bytes(killed, 'round-2', 'submission.csv'), bytes(reused, 'round-2', 'submission.csv'));
  assert.deepEqual(bytes(killed, 'round-2', 'pseudo-labels.arrow'), bytes(reused, 'round-2', 'pseudo-labels.arrow'));
});




test('round-2 jobs train through the queue (tidal run --queue) to the same bytes', { skip: redisSkip }, async () => {
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { detached: true, stdio: 'ignore' });
  const worker = spawn(process.execPath, [CLI, 'worker', '--queue', `redis://127.0.0.1:${port}`], { detached: true, stdio: 'ignore', env: { ...process.env, CI: '1' } });
  try {
    for (let i = 0; i < 100 && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 50));
    const queued = join(root, 'queued');
    cpSync(plain, queued, { recursive: true });
    const r = tidal(['run', '--config', configFile(withPseudo(0.25)), '--out', queued, '--queue', `redis://127.0.0.1:${port}`]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /train-round-2: 2 of 2 \(model, fold\) jobs to run, on the queue/);
    assert.deepEqual(bytes(queued, 'round-2', 'submission.csv'), bytes(reused, 'round-2', 'submission.csv'));
  } finally {
    for (const child of [worker, redis]) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
});

test('dropping pseudoLabel again reuses round 1 whole and reports it alone', () => {
  const out = run(round1, reused);
  assert.match(out, /train: all 2 jobs already done/);
  assert.doesNotMatch(out, /round-2|round 2/);
  for (const stage of ROUND1_STAGES) assert.equal(stageKey(reused, stage), stageKey(plain, stage), stage);
  assert.deepEqual(bytes(reused, 'submission.csv'), bytes(plain, 'submission.csv'));
  assert.equal(bytes(reused, 'report.md').toString(), bytes(plain, 'report.md').toString());
  assert.equal(JSON.parse(bytes(reused, 'manifest.json').toString()).metrics.round2, undefined);
});
