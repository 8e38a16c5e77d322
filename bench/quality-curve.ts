/**
 * `npm run quality -- --curve`: the learning curve, what more data buys the default ensemble
 * (issue 16).
 *
 *   npm run quality -- --curve [--sizes 1000,3000,10000,30000] [--test-breaths 1500] [--seed 2027]
 *                      [--curve-budget BREATH_EPOCHS] [--work DIR] [--out docs/quality.md]
 *
 *   1. simulate the largest training set once, and one test set; each size trains on the first N
 *      of those training breaths (nested sets) and is scored on the same test breaths
 *   2. per size, the `default` preset (pipeline/presets/default.json as it is) through
 *      `tidal run --config` in a fresh run folder, with its epochs set by the budget: each
 *      (model, fold) job gets --curve-budget training breath-epochs, so
 *      epochs = round(budget / training breaths per fold), at least 1. Default budget: what the
 *      preset itself spends (its epochs times its training breaths per fold), so the preset's own
 *      size is the preset's own run. A count, not a clock: the same seed gives the same curve.
 *   3. the table -> stdout and the "Learning curve" section of docs/quality.md
 *
 * With the default budget each size costs about one default run's training, so the four sizes take
 * about four default runs (and the 30,000-breath one its larger data stages); try the machinery
 * with e.g. `--sizes 100,200 --test-breaths 60 --curve-budget 150`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROWS_PER_BREATH, writeBreathCsv, writeIdValueCsv, type BreathTable } from '../dataset/index.ts';
import { SIMULATED_FILE_NAMES } from '../simulator/simulated-files.ts';
import { simulateDataset } from '../simulator/index.ts';
import { defaultPresetOn, fmtMae, loadNow, machineLine, plannedEpochs, positiveIntOption, runTimed, trainingBreathsPerFold, writeQualitySection, type DefaultRun } from './quality-default-run.ts';
import { loadPreset } from '../pipeline/index.ts';

export const CURVE_HEADING = 'Learning curve: test MAE against training breaths';

/** The first n breaths of a table (views, not copies). */
function firstBreaths(table: BreathTable, n: number): BreathTable {
  const rows = n * ROWS_PER_BREATH;
  return {
    nBreaths: n,
    breathId: table.breathId.subarray(0, n),
    R: table.R.subarray(0, n),
    C: table.C.subarray(0, n),
    id: table.id.subarray(0, rows),
    timeStep: table.timeStep.subarray(0, rows),
    uIn: table.uIn.subarray(0, rows),
    uOut: table.uOut.subarray(0, rows),
    pressure: table.pressure ? table.pressure.subarray(0, rows) : null,
  };
}

function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((s) => Number(s.trim()));
  const bad = sizes.find((n) => !Number.isInteger(n) || n < 10);
  if (bad !== undefined) throw new Error(`--sizes: every size must be an integer of at least 10 breaths, got '${text}'`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** Runs the learning curve; `argv` is the command line after the script name. */
export async function curveMain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      curve: { type: 'boolean' },
      sizes: { type: 'string', default: '1000,3000,10000,30000' },
      'test-breaths': { type: 'string', default: '1500' },
      seed: { type: 'string', default: '2027' },
      'curve-budget': { type: 'string' },
      work: { type: 'string', default: 'runs/quality-curve' },
      out: { type: 'string', default: 'docs/quality.md' },
    },
  });
  const sizes = parseSizes(values.sizes!);
  const testBreaths = positiveIntOption('test-breaths', values['test-breaths'])!;
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${values.seed}'`);
  const preset = loadPreset('default');
  if (preset.input.kind !== 'simulate') throw new Error('the curve reads the default preset\'s own data size from its simulated input');
  const presetPerFold = trainingBreathsPerFold(preset, preset.input.breaths);
  // Per model: --curve-budget for all, or what the preset itself spends on that model.
  const budgets = values['curve-budget'] ? preset.models.map(() => positiveIntOption('curve-budget', values['curve-budget'])!) : plannedEpochs(preset).map((e) => e * presetPerFold);
  const models = preset.models.map((m) => m.id ?? m.name);
  const budgetText = models.map((id, i) => `${id} ${budgets[i]}`).join(', ');
  const work = values.work!;
  const started = performance.now();
  const loadBefore = loadNow();

  // 1. one simulation: nested training sets, one test set
  const largest = sizes[sizes.length - 1];
  console.log(`curve: simulating ${largest} train / ${testBreaths} test breaths (seed ${seed}); budget per (model, fold) job in training breath-epochs: ${budgetText}`);
  const { train, test } = simulateDataset({ breaths: largest, testBreaths, seed });

  // 2. the default preset per size
  const points: { breaths: number; epochs: number[]; run: DefaultRun }[] = [];
  for (const [i, breaths] of sizes.entries()) {
    const dir = join(work, `n${breaths}`);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    await writeBreathCsv(join(dataDir, SIMULATED_FILE_NAMES.train), firstBreaths(train, breaths), { withPressure: true });
    await writeBreathCsv(join(dataDir, SIMULATED_FILE_NAMES.test), test, { withPressure: false });
    await writeIdValueCsv(join(dataDir, SIMULATED_FILE_NAMES.sampleSubmission), test.id, new Float64Array(test.id.length), 'pressure');
    await writeIdValueCsv(join(dataDir, SIMULATED_FILE_NAMES.answers), test.id, test.pressure!, 'pressure');
    const perFold = trainingBreathsPerFold(preset, breaths);
    const epochs = budgets.map((b) => Math.max(1, Math.round(b / perFold)));
    let model = 0;
    const config = defaultPresetOn(dataDir, `quality-curve-${breaths}`, () => epochs[model++]);
    console.log(`curve ${i + 1}/${sizes.length}: ${breaths} breaths (${perFold} training breaths a fold), epochs ${models.map((id, k) => `${id} ${epochs[k]}`).join(', ')}`);
    const run = await runTimed(config, dir);
    const m = run.metrics;
    console.log(`curve ${i + 1}/${sizes.length}: ${breaths} breaths: test MAE ${fmtMae(m.blendTestMae)} before post-processing, ${fmtMae(m.testMae)} after (${run.seconds.toFixed(0)} s)`);
    points.push({ breaths, epochs, run });
  }

  // 3. the table
  const smallCheck = values['curve-budget'] !== undefined || largest < 30_000;
  const rows = [
    `| train breaths | epochs (${models.join(' / ')}) | wall seconds | blend OOF MAE | test MAE, blend | test MAE, after post-processing | per-(R, C, time) baseline |`,
    '|---|---|---|---|---|---|---|',
    ...points.map(({ breaths, epochs, run: { seconds, metrics: m } }) =>
      `| ${breaths} | ${epochs.join(' / ')} | ${seconds.toFixed(0)} | ${fmtMae(m.blendOofMae)} | ${fmtMae(m.blendTestMae)} | ${fmtMae(m.testMae)} | ${fmtMae(m.baselineTestMae)} |`),
  ].join('\n');
  const reading = curveReading(points.map(({ breaths, epochs, run }) => ({ breaths, epochs: Math.min(...epochs), mae: run.metrics.testMae })));
  const command = `npm run quality -- --curve --sizes ${sizes.join(',')} --test-breaths ${testBreaths} --seed ${seed}${values['curve-budget'] ? ` --curve-budget ${values['curve-budget']}` : ''}`;
  const body = `What more data buys the default ensemble: the \`default\` preset (${preset.models.map((x) => x.id ?? x.name).join(' + ')},
${preset.folds.k} folds) trained on the first N breaths of one simulated training set and scored on
the same ${testBreaths} simulated test breaths. Each model's (model, fold) jobs get the same budget
of training breath-epochs at every size (${budgetText}${values['curve-budget'] ? '' : ": the preset's own, its epochs times its training breaths a fold"}),
so the epochs fall as the data grows (at least 1); the budget is a count, not a clock, so the same
seed gives the same curve. A regression shows as a higher MAE at the same size.

- Command: \`${command}\`
- Date: ${new Date().toISOString().slice(0, 10)}; ${((performance.now() - started) / 60000).toFixed(0)} minutes in all
- ${machineLine(loadBefore, loadNow())}
- Data: built-in simulator, seed ${seed}; training sets nested (each the first N breaths of the largest)${smallCheck ? '\n- **A check of the machinery (sizes or budget below the measurement\'s), not the measurement**' : ''}

${rows}
${reading ? `\n${reading}\n` : ''}`;
  console.log(`\n${rows}\n`);
  writeQualitySection(values.out!, CURVE_HEADING, body);
  console.log(`wrote the "${CURVE_HEADING}" section of ${values.out}`);
}

/**
 * One sentence on the curve's shape: where the test MAE after post-processing is lowest and what
 * the sizes past it had to work with (the same budget spread over more breaths is fewer passes).
 */
export function curveReading(points: { breaths: number; epochs: number; mae: number | null }[]): string | null {
  const scored = points.filter((p): p is { breaths: number; epochs: number; mae: number } => p.mae !== null);
  if (scored.length < 2) return null;
  const best = scored.reduce((a, b) => (b.mae < a.mae ? b : a));
  const first = scored[0];
  const after = scored.filter((p) => p.breaths > best.breaths);
  const gain = `From ${first.breaths} to ${best.breaths} breaths the test MAE after post-processing falls ${(100 * (1 - best.mae / first.mae)).toFixed(1)}% (${fmtMae(first.mae)} -> ${fmtMae(best.mae)})`;
  if (after.length === 0) return `${gain}: more data still pays at this budget.`;
  return `${gain}; past ${best.breaths} it does not fall (${after.map((p) => `${fmtMae(p.mae)} at ${p.breaths} breaths, ${p.epochs} epoch${p.epochs === 1 ? '' : 's'} a job`).join('; ')}): the same budget spread over more breaths is fewer passes over each, so a larger data set pays only with a larger budget.`;
}
