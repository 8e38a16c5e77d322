/**
 * Every bad setting is refused before any work starts, at its path, and nothing is written; a
 * run that fails later ends its log.txt with the reason.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRunConfig } from '../../pipeline/config.ts';
import { planRun } from '../../pipeline/plan.ts';

const CLI = join(import.meta.dirname, '../../bin/tidal.js');
const dir = mkdtempSync(join(tmpdir(), 'tidal-check-'));
const minimal = { name: 'x', input: { kind: 'simulate', breaths: 100 }, models: [{ name: 'bilstm' }] };

function tidal(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
}

test('tidal run --check lists every bad name and value at its path, and writes nothing', () => {
  const file = join(dir, 'bad.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...minimal,
      scaler: 'robustt',
      recipe: { epochz: 3 },
      models: [
        { name: 'bilstm', recipe: { optimizer: 'sgdd' } },
        { name: 'lstm-raw', config: { units: 0 }, featureSet: 'fulll' },
        { name: 'no-such-model', id: 'other' },
        { name: 'bilstm', id: 'b2', recipe: { loss: 'levels-cross-entropy', epochs: 'ten' } },
      ],
      blend: { folds: 'mediann', models: 'weightz' },
    }),
  );
  const r = tidal('run', '--config', file, '--check', '--out', join(dir, 'never'));
  assert.equal(r.status, 1);
  for (const expected of [
    /recipe\.epochz is not a recipe key/,
    /models\[0\]\.recipe\.optimizer\.kind must be one of 'adam', 'adamw', got "sgdd"/,
    /models\[1\]\.config: lstm-raw: config\.units must be a positive integer, got 0/,
    /models\[1\]\.featureSet: unknown feature set 'fulll'/,
    /models\[2\]\.name: unknown model 'no-such-model'/,
    /models\[3\]\.recipe\.epochs must be a positive integer, got "ten"/,
    /blend\.folds: unknown fold combiner 'mediann'/,
    /blend\.models: unknown blend method 'weightz'/,
    /scaler: unknown scaler 'robustt'/,
  ]) {
    assert.match(r.stderr, expected);
  }
  assert.equal(existsSync(join(dir, 'never')), false);
  assert.equal(existsSync(join(dir, 'runs')), false);
});

test("a loss that does not fit the model's output is refused at the recipe that names it", () => {
  const config = parseRunConfig({ ...minimal, models: [{ name: 'bilstm', recipe: { loss: 'two-head-mae' } }] }, 'cfg');
  assert.throws(() => planRun(config, 'cfg'), /models\[0\]\.recipe\.loss: loss 'two-head-mae' does not fit output kind 'pressure'/);
});

test('the optimizer may be written as its kind alone, and then trains with that optimizer', () => {
  const plan = planRun(parseRunConfig({ ...minimal, recipe: { optimizer: 'adamw' } }, 'cfg'), 'cfg');
  assert.deepEqual(plan.models[0].recipe.optimizer, { kind: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.01 });
});

test('a run name is a plain name: a path in it is refused before anything is written', () => {
  const file = join(dir, 'evil.json');
  writeFileSync(file, JSON.stringify({ ...minimal, name: '../../etc/evil' }));
  const r = tidal('run', '--config', file);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /name: must be a plain name/);
  assert.equal(existsSync(join(dir, 'runs')), false);
  assert.equal(existsSync(join(dir, '..', '..', 'etc', 'evil')), false);
});

test('a run that fails after its folder exists ends log.txt with the error', () => {
  const out = join(dir, 'failing');
  const r = tidal('run', '--preset', 'kaggle', '--input', join(dir, 'no-such-folder'), '--out', out);
  assert.equal(r.status, 1);
  const lines = readFileSync(join(out, 'log.txt'), 'utf8').trim().split('\n');
  assert.match(lines.at(-1)!, /error: the kaggle run reads the Kaggle files, but .*train\.csv.* missing/);
});
