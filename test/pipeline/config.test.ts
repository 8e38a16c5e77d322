import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, parseRunConfig } from '../../pipeline/config.ts';
import { loadPreset, presetNames } from '../../pipeline/presets.ts';
import { planRun } from '../../pipeline/plan.ts';

const CLI = join(import.meta.dirname, '../../bin/tidal.js');
const minimal = { name: 'x', input: { kind: 'simulate', breaths: 100 }, models: [{ name: 'bilstm' }] };

test('every preset is a valid config whose models and recipes resolve', () => {
  assert.deepEqual(presetNames(), ['default', 'kaggle', 'smoke']);
  for (const name of presetNames()) {
    const plan = planRun(loadPreset(name), name);
    assert.equal(plan.models.length, plan.config.models.length);
  }
});

test('defaults fill what a config leaves out', () => {
  const config = parseRunConfig(minimal, 'test');
  assert.equal(config.seed, 42);
  assert.equal(config.folds.k, 5);
  assert.equal(config.models[0].size, 'small');
  assert.deepEqual(config.postprocess, { invert: true, snap: true });
});

test('unknown keys and bad values are errors that name their path', () => {
  assert.throws(() => parseRunConfig({ ...minimal, sead: 1 }, 'cfg.json'), (e: Error) => e instanceof ConfigError && /cfg\.json/.test(e.message) && /sead/.test(e.message));
  assert.throws(() => parseRunConfig({ ...minimal, folds: { k: 1 } }, 'cfg.json'), /folds\.k: Too small/);
  assert.throws(() => parseRunConfig({ ...minimal, models: [{ name: 'bilstm', size: 'huge' }] }, 'cfg.json'), /models\[0\]\.size/);
  assert.throws(() => parseRunConfig({ ...minimal, models: [{ name: 'bilstm' }, { name: 'bilstm' }] }, 'cfg.json'), /labelled 'bilstm'/);
  const config = parseRunConfig({ ...minimal, models: [{ name: 'bilstm', config: { widthz: [8] } }] }, 'cfg.json');
  assert.throws(() => planRun(config, 'cfg.json'), /models\[0\]\.config\.widthz: not a key of bilstm's config/);
  assert.throws(() => planRun(parseRunConfig({ ...minimal, models: [{ name: 'no-such-model' }] }, 'cfg.json'), 'cfg.json'), /models\[0\]\.name: unknown model 'no-such-model'/);
});

test('the CLI refuses a bad config file and a missing Kaggle input with a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-config-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ ...minimal, jobs: 0 }));
  const bad = spawnSync(process.execPath, [CLI, 'run', '--config', file, '--out', join(dir, 'run')], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /bad\.json/);
  assert.match(bad.stderr, /jobs: Too small/);

  const kaggle = spawnSync(process.execPath, [CLI, 'run', '--preset', 'kaggle', '--input', join(dir, 'nothing'), '--out', join(dir, 'k')], { encoding: 'utf8' });
  assert.equal(kaggle.status, 1);
  assert.match(kaggle.stderr, /train\.csv.*missing/s);
});
