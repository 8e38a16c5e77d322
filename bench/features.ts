/**
 * `npm run bench:features`: the `full` feature set on a full-size simulated train.csv
 * (75,450 breaths, 6,036,000 rows), against pandas doing the same on the same file.
 *
 * 1. Reuses .bench-data/train.csv (bench:io makes the same file) or generates it in a child
 *    process, so generation does not count towards this process's peak RSS.
 * 2. Times readTrainCsv, then buildFeatures(table, 'full'), with peak RSS after each.
 * 3. Times a robust-scaler fit on the training breaths of one stratified fold, and the Arrow
 *    cache write; the cache read is timed in a child process (a second copy of the layout would
 *    otherwise inflate this process's peak).
 * 4. Runs bench/features_pandas.py with the first python3 that has pandas, prints the ratios
 *    and checks every column's mean against pandas'.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTrainCsv, writeBreathCsv } from '../dataset/index.ts';
import { simulateDataset } from '../simulator/index.ts';
import { buildFeatures, fitScaler, readLayoutArrow, writeLayoutArrow } from '../features/index.ts';
import { assignFolds, foldBreathIndices } from '../folds/index.ts';

const BENCH_DIR = '.bench-data';
const TRAIN_CSV = join(BENCH_DIR, 'train.csv');
const CACHE_FILE = join(BENCH_DIR, 'features-full.arrow');
const BREATHS = 75_450;
const SEED = 20211022;
const PYTHONS = ['python3', '/usr/bin/python3'];
/** Means are of float32 values summed in float64: agreement to this relative error is expected. */
const MEAN_TOLERANCE = 1e-5;

const self = fileURLToPath(import.meta.url);

function peakRssGiB(): number {
  return (process.resourceUsage().maxRSS * 1024) / 2 ** 30;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** Wall and CPU (user + system) milliseconds: on a shared machine CPU time is the steadier figure. */
async function time<T>(work: () => T | Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

function line(label: string, timing: { ms: number; cpuMs: number }, extra = ''): void {
  console.log(`${label.padEnd(28)} ${seconds(timing.ms).padStart(6)} s wall ${seconds(timing.cpuMs).padStart(6)} s cpu${extra}`);
}

function runSelf(...args: string[]): string {
  const child = spawnSync(process.execPath, ['--import', 'tsx', self, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`${args.join(' ')} failed`);
  return child.stdout;
}

async function generate(path: string): Promise<void> {
  const { train } = simulateDataset({ breaths: BREATHS, testBreaths: 0, seed: SEED });
  await writeBreathCsv(path, train, { withPressure: true });
}

async function readCache(path: string): Promise<void> {
  const read = await time(() => readLayoutArrow(path));
  console.log(JSON.stringify({ ms: read.ms, cpuMs: read.cpuMs, peakRssGiB: peakRssGiB(), nBreaths: read.value.layout.nBreaths }));
}

interface PandasResult {
  read_s: number;
  read_cpu_s: number;
  features_s: number;
  features_cpu_s: number;
  peak_rss_gib: number;
  shape: number[];
  means: Record<string, number>;
}

function runPandas(): { python: string; result: PandasResult } | null {
  for (const python of PYTHONS) {
    const probe = spawnSync(python, ['-c', 'import pandas'], { stdio: 'ignore' });
    if (probe.status !== 0) continue;
    const run = spawnSync(python, [join('bench', 'features_pandas.py'), TRAIN_CSV], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) throw new Error(`${python} bench/features_pandas.py failed:\n${run.stderr}`);
    return { python, result: JSON.parse(run.stdout.trim().split('\n').pop()!) as PandasResult };
  }
  return null;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--generate') return generate(process.argv[3]);
  if (process.argv[2] === '--read-cache') return readCache(process.argv[3]);
  if (!existsSync(TRAIN_CSV)) {
    console.log(`generating ${TRAIN_CSV} (${BREATHS} breaths)...`);
    runSelf('--generate', TRAIN_CSV);
  }

  const parse = await time(() => readTrainCsv(TRAIN_CSV));
  const parseRss = peakRssGiB();
  const table = parse.value;
  const built = await time(() => buildFeatures(table, 'full'));
  const featuresRss = peakRssGiB();
  const layout = built.value;
  const rows = layout.nBreaths * 80;
  console.log(`${TRAIN_CSV}: ${rows} rows, ${layout.nBreaths} breaths -> ${layout.nFeatures} features (${((layout.features.byteLength) / 2 ** 30).toFixed(2)} GiB float32)`);
  line('readTrainCsv', parse, `   peak RSS ${parseRss.toFixed(2)} GiB`);
  line('buildFeatures(full)', built, `   peak RSS ${featuresRss.toFixed(2)} GiB (whole process: table + layout)`);
  line('parse + features', { ms: parse.ms + built.ms, cpuMs: parse.cpuMs + built.cpuMs });

  const assignment = assignFolds(table, { nFolds: 5, seed: SEED, stratified: true });
  const { train } = foldBreathIndices(assignment, table.breathId, 0);
  const robust = await time(() => fitScaler('robust', layout, train));
  line('fitScaler(robust, 4/5)', robust);
  const write = await time(() => writeLayoutArrow(CACHE_FILE, layout));
  line('writeLayoutArrow', write, `   peak RSS ${peakRssGiB().toFixed(2)} GiB`);
  const read = JSON.parse(runSelf('--read-cache', CACHE_FILE)) as { ms: number; cpuMs: number; peakRssGiB: number };
  line('readLayoutArrow (child)', read, `   peak RSS ${read.peakRssGiB.toFixed(2)} GiB (child process)`);
  rmSync(CACHE_FILE, { force: true });

  const means = new Float64Array(layout.nFeatures);
  for (let i = 0; i < layout.features.length; i += layout.nFeatures) {
    for (let k = 0; k < layout.nFeatures; k++) means[k] += layout.features[i + k];
  }

  const pandas = runPandas();
  if (!pandas) {
    console.log(`pandas: not available (tried ${PYTHONS.join(', ')}); no comparison`);
    return;
  }
  const p = pandas.result;
  console.log(
    `pandas (${pandas.python}): read_csv ${p.read_s.toFixed(2)} s wall ${p.read_cpu_s.toFixed(2)} s cpu, ` +
      `features ${p.features_s.toFixed(2)} s wall ${p.features_cpu_s.toFixed(2)} s cpu, peak RSS ${p.peak_rss_gib.toFixed(2)} GiB, shape [${p.shape.join(', ')}]`,
  );
  const ratio = (theirs: number, ours: number) => `${(theirs / ours).toFixed(1)}x`;
  console.log(
    `pandas/tidal, wall: features ${ratio(p.features_s, built.ms / 1000)}, parse ${ratio(p.read_s, parse.ms / 1000)}, ` +
      `parse + features ${ratio(p.read_s + p.features_s, (parse.ms + built.ms) / 1000)}`,
  );
  console.log(
    `pandas/tidal, cpu:  features ${ratio(p.features_cpu_s, built.cpuMs / 1000)}, parse ${ratio(p.read_cpu_s, parse.cpuMs / 1000)}, ` +
      `parse + features ${ratio(p.read_cpu_s + p.features_cpu_s, (parse.cpuMs + built.cpuMs) / 1000)}`,
  );
  let worst = { name: '', error: 0 };
  const missing: string[] = [];
  layout.featureNames.forEach((name, k) => {
    const want = p.means[name];
    if (want === undefined) return missing.push(name);
    const error = Math.abs(means[k] / rows - want) / Math.max(1, Math.abs(want));
    if (error > worst.error) worst = { name, error };
  });
  if (missing.length > 0) throw new Error(`pandas has no column ${missing.join(', ')}`);
  console.log(`column means vs pandas: worst relative difference ${worst.error.toExponential(2)} (${worst.name || 'none'}) over ${layout.nFeatures} columns`);
  if (worst.error > MEAN_TOLERANCE) throw new Error(`column ${worst.name} disagrees with pandas by ${worst.error}`);
}

await main();
