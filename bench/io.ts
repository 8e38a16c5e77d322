/**
 * `npm run bench:io`: reading and writing Kaggle-sized CSVs.
 *
 * Makes a full-size simulated train.csv (75,450 breaths, 6,036,000 rows) in .bench-data/ if it is
 * not there, and the same breaths as a re-split would write them (in a child process, so
 * generation does not count towards the reader's peak RSS), then times, in this order:
 *   1. reference: reading the file's bytes and counting lines, no parsing;
 *   2. readTrainCsv (peak RSS is taken right after, before anything else allocates), then on the
 *      re-split file (breaths in random order: the grouping path);
 *   3. loadBreathTableCached: first load (parse + write the Arrow cache), then a cached load;
 *   4. writeBreathCsv of the table, and writeIdValueCsv of 4,024,000 rows (a submission's size),
 *      once with grid pressures (950 distinct values) and once with distinct values.
 * Ratios are against the reference, measured in the same run, since the machine is shared.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROWS_PER_BREATH, allocateBreathTable, loadBreathTableCached, readTrainCsv, rowCount, writeBreathCsv, writeIdValueCsv, type BreathTable } from '../dataset/index.ts';
import { createRng } from '../core/index.ts';
import { simulateDataset } from '../simulator/index.ts';

const BENCH_DIR = '.bench-data';
const TRAIN_CSV = join(BENCH_DIR, 'train.csv');
/** The same breaths as a re-split writes them: breaths shuffled, ids renumbered, rows in time order. */
const RESPLIT_CSV = join(BENCH_DIR, 'train-resplit.csv');
const BREATHS = 75_450;
const SUBMISSION_ROWS = 4_024_000;
const SEED = 20211022;

async function generate(): Promise<void> {
  const started = performance.now();
  const { train } = simulateDataset({ breaths: BREATHS, testBreaths: 0, seed: SEED });
  const simulated = performance.now();
  await writeBreathCsv(TRAIN_CSV, train, { withPressure: true });
  const written = performance.now();
  console.log(`generated ${TRAIN_CSV}: simulate ${seconds(simulated - started)} s, writeBreathCsv ${seconds(written - simulated)} s`);
  await writeBreathCsv(RESPLIT_CSV, shuffleBreaths(train), { withPressure: true });
  console.log(`generated ${RESPLIT_CSV}`);
}

/** Breaths in a seeded random order, ids renumbered from 1 in file order. */
function shuffleBreaths(table: BreathTable): BreathTable {
  const rng = createRng(SEED, 'bench', 'resplit');
  const order = Array.from({ length: table.nBreaths }, (_, b) => b);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out = allocateBreathTable(table.nBreaths, true);
  order.forEach((from, to) => {
    out.breathId[to] = table.breathId[from];
    out.R[to] = table.R[from];
    out.C[to] = table.C[from];
    const src = from * ROWS_PER_BREATH;
    const dst = to * ROWS_PER_BREATH;
    for (const key of ['timeStep', 'uIn', 'uOut', 'pressure'] as const) out[key]!.set(table[key]!.subarray(src, src + ROWS_PER_BREATH), dst);
  });
  out.id.forEach((_, i) => (out.id[i] = i + 1));
  return out;
}

/** Reads the file in 8 MiB chunks and counts newlines: the floor any parser pays for I/O. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 23 })) {
    const bytes = chunk as Buffer;
    for (let at = bytes.indexOf(10); at >= 0; at = bytes.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** Wall time, and CPU time of this process (less sensitive than wall time to other jobs on the machine). */
async function time<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--generate') return generate();
  if (!existsSync(TRAIN_CSV) || !existsSync(RESPLIT_CSV)) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--generate'], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`generating ${TRAIN_CSV} failed`);
  }
  const bytes = statSync(TRAIN_CSV).size;
  console.log(`${TRAIN_CSV}: ${(bytes / 2 ** 20).toFixed(0)} MiB`);

  const reference = await time(() => countLines(TRAIN_CSV));
  const read = await time(() => readTrainCsv(TRAIN_CSV));
  const peakRssGiB = (process.resourceUsage().maxRSS * 1024) / 2 ** 30;
  const rows = rowCount(read.value);
  const report = (label: string, run: { ms: number; cpuMs: number }, n: number) =>
    console.log(
      `${label.padEnd(42)} ${seconds(run.ms).padStart(6)} s wall ${seconds(run.cpuMs).padStart(6)} s cpu  ` +
        `${(n / (run.ms / 1000) / 1e6).toFixed(2).padStart(5)} M rows/s  ${(run.ms / reference.ms).toFixed(1).padStart(5)}x reference`,
    );
  report('reference: read bytes + count lines', reference, reference.value - 1);
  report('readTrainCsv', read, rows);
  console.log(`readTrainCsv: ${rows} rows, ${read.value.nBreaths} breaths, peak RSS ${peakRssGiB.toFixed(2)} GiB (whole process so far)`);
  const resplit = await time(() => readTrainCsv(RESPLIT_CSV));
  report('readTrainCsv, re-split (breaths shuffled)', resplit, rowCount(resplit.value));

  const cacheDir = join(BENCH_DIR, 'cache');
  rmSync(cacheDir, { recursive: true, force: true });
  const first = await time(() => loadBreathTableCached(TRAIN_CSV, cacheDir, 'train'));
  const cached = await time(() => loadBreathTableCached(TRAIN_CSV, cacheDir, 'train'));
  if (first.value.fromCache || !cached.value.fromCache) throw new Error('cache did not behave: expected a miss then a hit');
  report('loadBreathTableCached, first (parse+save)', first, rows);
  report('loadBreathTableCached, cached (hash+map)', cached, rows);

  const writtenPath = join(BENCH_DIR, 'written.csv');
  const written = await time(() => writeBreathCsv(writtenPath, read.value, { withPressure: true }));
  report('writeBreathCsv', written, rows);
  const ids = Int32Array.from({ length: SUBMISSION_ROWS }, (_, i) => i + 1);
  const values = read.value.pressure!.subarray(0, SUBMISSION_ROWS);
  const submission = await time(() => writeIdValueCsv(join(BENCH_DIR, 'submission.csv'), ids, values));
  report('writeIdValueCsv, 4.0 M grid pressures', submission, SUBMISSION_ROWS);
  // Unsnapped predictions: every value distinct, so no number-to-string cache helps.
  const distinct = read.value.uIn.subarray(0, SUBMISSION_ROWS);
  const unsnapped = await time(() => writeIdValueCsv(join(BENCH_DIR, 'submission.csv'), ids, distinct));
  report('writeIdValueCsv, 4.0 M distinct values', unsnapped, SUBMISSION_ROWS);
  rmSync(writtenPath, { force: true });
  rmSync(join(BENCH_DIR, 'submission.csv'), { force: true });
}

await main();
