/**
 * What `npm run quality -- --side-by-side` and `-- --curve` share: the `default` preset pointed at a
 * folder of Kaggle-shaped CSVs, run through the real CLI (`tidal run --config`) in a fresh run
 * folder and timed, and docs/quality.md written one `## ` section at a time so that each
 * measurement refreshes its own section and leaves the others as they are.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../core/index.ts';
import { SIMULATED_FILE_NAMES } from '../simulator/simulated-files.ts';
import { loadPreset, planRun, type RunConfig } from '../pipeline/index.ts';
import { readRunManifest, type RunMetrics } from '../report/index.ts';

const TIDAL = fileURLToPath(new URL('../bin/tidal.js', import.meta.url));

export interface DefaultRun {
  config: RunConfig;
  runDir: string;
  /** Wall seconds of the whole `tidal run`, ingest to report. */
  seconds: number;
  /** manifest.json `metrics`, checked as the report reads them. */
  metrics: RunMetrics;
}

/**
 * The `default` preset as it is in pipeline/presets/default.json, reading `dataDir` (train.csv,
 * test.csv, sample_submission.csv, test_answers.csv). `epochs`, when given, sets each model's
 * epochs from its planned ones (the preset's recipe with the model's overrides on top).
 */
export function defaultPresetOn(dataDir: string, name: string, epochs?: (plannedEpochs: number) => number): RunConfig {
  const preset = loadPreset('default');
  const dir = resolve(dataDir);
  const config: RunConfig = {
    ...preset,
    name,
    input: { kind: 'kaggle', dir, answers: join(dir, SIMULATED_FILE_NAMES.answers) },
  };
  if (epochs) {
    const planned = plannedEpochs(config);
    config.models = config.models.map((m, i) => ({ ...m, recipe: { ...m.recipe, epochs: epochs(planned[i]) } }));
  }
  return config;
}

/** Each model's epochs as the run would train them. */
export function plannedEpochs(config: RunConfig): number[] {
  return planRun(config, config.name).models.map((m) => m.recipe.epochs);
}

/** Training breaths of each fold's jobs when a config runs on `breaths` train breaths. */
export function trainingBreathsPerFold(config: RunConfig, breaths: number): number {
  return Math.round((breaths * (config.folds.k - 1)) / config.folds.k);
}

/**
 * Runs `config` with `tidal run --config` in a fresh `workDir/run` (nothing reused, so the wall
 * time is the whole run's), its output indented on stdout; returns the time and the metrics.
 */
export async function runTimed(config: RunConfig, workDir: string): Promise<DefaultRun> {
  mkdirSync(workDir, { recursive: true });
  const configPath = join(workDir, 'config.json');
  const runDir = join(workDir, 'run');
  rmSync(runDir, { recursive: true, force: true });
  writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const started = performance.now();
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(process.execPath, [TIDAL, 'run', '--config', configPath, '--out', runDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) console.log(`  | ${line}`);
    });
    child.on('error', fail);
    child.on('close', (status) => {
      if (pending) console.log(`  | ${pending}`);
      done(status);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`tidal run --config ${configPath} failed (exit ${code}); see its output above and ${join(runDir, 'log.txt')}`);
  return {
    config,
    runDir,
    seconds,
    metrics: readRunManifest(runDir).manifest.metrics,
  };
}

/**
 * Writes `body` as the section under `## heading` of the Markdown file at `path`: replaces that
 * section (up to the next `## ` heading) when present, appends it otherwise.
 */
export function writeQualitySection(path: string, heading: string, body: string): void {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Model quality on simulated data\n';
  const section = `## ${heading}\n\n${body.trim()}\n`;
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) {
    writeFileAtomic(path, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + 1);
  const rest = next < 0 ? '' : `\n${text.slice(next + 1)}`;
  writeFileAtomic(path, `${text.slice(0, start + 1)}${section}${rest}`);
}

/** The `## ` sections of the file at `path` (empty when none): what a rewrite of its top part keeps. */
export function qualitySections(path: string): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  const first = text.indexOf('\n## ');
  return first < 0 ? '' : `\n${text.slice(first + 1).trimEnd()}\n`;
}

export const fmtMae = (x: number | null) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(3));

/** The 1-minute load average now, to say how busy the machine was around a measurement. */
export const loadNow = () => loadavg()[0];

/** A doc line on the machine: cores and load around the measurement, flagged when other work ran. */
export function machineLine(loadBefore: number, loadAfter: number): string {
  const busy = Math.max(loadBefore, loadAfter) > 1;
  return `Machine: ${cpus().length} cores, 1-minute load average ${loadBefore.toFixed(1)} at the start and ${loadAfter.toFixed(1)} at the end${busy ? ': **measured with other work running** (wall seconds are not the quiet machine\'s)' : ''}`;
}

/** `--NAME VALUE` as a positive integer; undefined when the option was not given. */
export function positiveIntOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${value}'`);
  return n;
}
