/**
 * `npm run bench:jobs`: wall time of the training stage with --jobs 1 and --jobs 2 on the same
 * config (the smoke preset's models on 800 breaths: 4 (model, fold) jobs of about 15 s, long enough
 * that process start-up does not dominate), measured in one run.
 * On a 2-core machine a CPU backend should come close to 2x.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPreset } from '../pipeline/presets.ts';

const backend = process.argv.find((a) => a.startsWith('--backend='))?.slice('--backend='.length) ?? 'wasm';
const dir = mkdtempSync(join(tmpdir(), 'tidal-bench-jobs-'));
const config = {
  ...loadPreset('smoke'),
  name: 'bench-jobs',
  backend,
  input: { kind: 'simulate', breaths: 800, testBreaths: 200 },
  recipe: { epochs: 30, batchSize: 32, lr: 0.003 },
};
const configPath = join(dir, 'config.json');
writeFileSync(configPath, JSON.stringify(config, null, 2));
const cli = join(import.meta.dirname, '../bin/tidal.js');

function trainSeconds(jobs: number): number {
  const out = join(dir, `jobs-${jobs}`);
  const r = spawnSync(process.execPath, [cli, 'run', '--config', configPath, '--out', out, '--jobs', String(jobs)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tidal run --jobs ${jobs} failed:\n${r.stderr}${r.stdout}`);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  return manifest.stages.train.seconds as number;
}

console.log(`bench:jobs ${new Date().toISOString()} backend ${backend}, 4 jobs (2 models x 2 folds, 800 breaths), 30 epochs each`);
const one = trainSeconds(1);
console.log(`--jobs 1: train stage ${one.toFixed(1)} s`);
const two = trainSeconds(2);
console.log(`--jobs 2: train stage ${two.toFixed(1)} s`);
console.log(`speed-up: ${(one / two).toFixed(2)}x`);
const same = readFileSync(join(dir, 'jobs-1', 'submission.csv')).equals(readFileSync(join(dir, 'jobs-2', 'submission.csv')));
console.log(`same submission bytes with --jobs 1 and --jobs 2: ${same}`);
