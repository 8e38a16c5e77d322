/**
 * Controller inversion on a full-size simulated test set (50,300 breaths): wall time, coverage
 * (share of inspiratory rows solved), breaths matched and the MAE of the solved rows against the
 * simulator's true pressures (0 when every solved row is exact). Timing covers the inversion only;
 * the last line times writing the 4,024,000-row submission.csv of that test set.
 *
 *   npm run bench:invert [-- --breaths N]
 */
import { ROWS_PER_BREATH } from '../dataset/index.ts';
import { createRng } from '../core/index.ts';
import { simulateDataset } from '../simulator/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invertController, postprocess, writeSubmission } from '../submissions/index.ts';

const at = process.argv.indexOf('--breaths');
const breaths = at >= 0 ? Number(process.argv[at + 1]) : 50_300;

const t0 = performance.now();
const { test, truth } = simulateDataset({ breaths: 1, testBreaths: breaths, seed: 2021 }, { withTruth: true });
const simulateSeconds = (performance.now() - t0) / 1000;

// A stand-in for a model's predictions as the guide: truth plus uniform noise of +-GUIDE_NOISE cmH2O.
const GUIDE_NOISE = 1;
const rng = createRng(2021, 'bench-invert-guide');
const guide = Float64Array.from(test.pressure!, (p) => p + GUIDE_NOISE * (2 * rng() - 1));

function timed<T>(run: () => T): { result: T; seconds: number; cpuSeconds: number } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const result = run();
  const used = process.cpuUsage(cpu);
  return { result, seconds: (performance.now() - wall) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

const plain = timed(() => invertController(test));
const unguided = plain.result;
const guided = timed(() => invertController(test, {}, guide));
const inversion = guided.result;
const seconds = guided.seconds;

let absError = 0;
let wrong = 0;
for (let i = 0; i < inversion.pressure.length; i++) {
  const p = inversion.pressure[i];
  if (Number.isNaN(p)) continue;
  const d = Math.abs(p - test.pressure![i]);
  absError += d;
  if (d > 1e-9) wrong++;
}

// Coverage by kind of exploration residual, to show where the rows left to the model come from.
const kinds = new Map<string, { breaths: number; matched: number; rows: number; solved: number }>();
for (let b = 0; b < test.nBreaths; b++) {
  const t = truth.test[b];
  const kind = `${t.pOnly ? 'P-only' : 'PI'}, residual ${t.residual.kind}`;
  const k = kinds.get(kind) ?? { breaths: 0, matched: 0, rows: 0, solved: 0 };
  k.breaths++;
  if (!Number.isNaN(inversion.pip[b])) k.matched++;
  for (let i = b * ROWS_PER_BREATH; i < (b + 1) * ROWS_PER_BREATH; i++) {
    if (test.uOut[i] !== 0) continue;
    k.rows++;
    if (!Number.isNaN(inversion.pressure[i])) k.solved++;
  }
  kinds.set(kind, k);
}

console.log(`breaths ${breaths} (simulated in ${simulateSeconds.toFixed(1)} s)`);
console.log(`without a guide: ${plain.seconds.toFixed(2)} s (CPU ${plain.cpuSeconds.toFixed(2)} s), coverage ${(100 * unguided.coverage).toFixed(1)}%, ${unguided.matchedBreaths} breaths matched`);
console.log(`guided by truth +- ${GUIDE_NOISE} cmH2O (uniform), as a model's predictions would: ${seconds.toFixed(2)} s (CPU ${guided.cpuSeconds.toFixed(2)} s), ${(breaths / seconds).toFixed(0)} breaths/s`);
console.log(`coverage: ${(100 * inversion.coverage).toFixed(1)}% of ${inversion.inspiratoryRows} inspiratory rows; ${inversion.matchedBreaths} breaths matched (${((100 * inversion.matchedBreaths) / breaths).toFixed(1)}%)`);
console.log(`solved rows: MAE ${(absError / Math.max(1, inversion.solvedRows)).toExponential(2)} against the true pressures, ${wrong} rows off by more than 1e-9`);
console.log('\n| breaths | count | matched | rows solved |\n|:-|-:|-:|-:|');
for (const [kind, k] of [...kinds].sort()) {
  console.log(`| ${kind} | ${k.breaths} | ${((100 * k.matched) / k.breaths).toFixed(1)}% | ${((100 * k.solved) / k.rows).toFixed(1)}% |`);
}

// Writing the full-size submission (checks + chunked strings to a write stream + rename).
const final = postprocess(guide, test, { invert: false });
const dir = mkdtempSync(join(tmpdir(), 'tidal-bench-invert-'));
const wall = performance.now();
await writeSubmission(join(dir, 'submission.csv'), test.id, final.pressure, test.id);
console.log(`\nsubmission.csv (${test.id.length} rows): written in ${((performance.now() - wall) / 1000).toFixed(2)} s`);
rmSync(dir, { recursive: true, force: true });
