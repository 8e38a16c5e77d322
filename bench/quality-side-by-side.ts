/**
 * `npm run quality -- --side-by-side`: learning per minute, the default run against a plain
 * PyTorch BiLSTM given the same wall time (issue 16).
 *
 *   npm run quality -- --side-by-side [--breaths 3000] [--test-breaths 1500] [--seed 2026]
 *                      [--epochs E] [--torch-seconds S] [--threads 2] [--work DIR] [--out docs/quality.md]
 *
 *   1. simulate an independent set (its own seed, not the default preset's 42) as Kaggle CSVs,
 *      the test answers included (the `tidal simulate` code path)
 *   2. run the `default` preset, as pipeline/presets/default.json has it, on those files through
 *      `tidal run --config` in a fresh run folder, timed; read the blend's test MAE before
 *      post-processing and the submission's after it
 *   3. bench/torch_bilstm.py on the same files, trained for the run's wall seconds (where
 *      /usr/bin/python3 or python3 has torch; the row is skipped with a line otherwise)
 *   4. the table -> stdout and the "Side by side" section of docs/quality.md
 *
 * `--epochs` (and a small `--breaths`) are for trying the machinery out: the measurement is the
 * preset as it is, which takes about 25 minutes on 2 quiet cores.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSimulatedFiles } from '../simulator/simulated-files.ts';
import { planRun } from '../pipeline/index.ts';
import { defaultPresetOn, fmtMae, loadNow, machineLine, positiveIntOption, runTimed, writeQualitySection } from './quality-default-run.ts';

const TORCH_SCRIPT = fileURLToPath(new URL('./torch_bilstm.py', import.meta.url));
export const SIDE_BY_SIDE_HEADING = 'Side by side: the default run against PyTorch, same data, same wall time';

interface TorchResult {
  test_mae: number;
  train_seconds: number;
  total_seconds: number;
  epochs: number;
  batches: number;
  params: number;
  features: number;
  threads: number;
}

/** The first python that can import torch, or null. */
function torchPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

/** Runs the side-by-side measurement; `argv` is the command line after the script name. */
export async function sideBySideMain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'side-by-side': { type: 'boolean' },
      breaths: { type: 'string', default: '3000' },
      'test-breaths': { type: 'string' },
      seed: { type: 'string', default: '2026' },
      epochs: { type: 'string' },
      'torch-seconds': { type: 'string' },
      threads: { type: 'string', default: '2' },
      work: { type: 'string', default: 'runs/quality-side-by-side' },
      out: { type: 'string', default: 'docs/quality.md' },
    },
  });
  const breaths = positiveIntOption('breaths', values.breaths)!;
  const testBreaths = positiveIntOption('test-breaths', values['test-breaths']) ?? Math.floor(breaths / 2);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${values.seed}'`);
  const epochs = positiveIntOption('epochs', values.epochs);
  const torchSeconds = positiveIntOption('torch-seconds', values['torch-seconds']);
  const threads = positiveIntOption('threads', values.threads)!;
  const work = values.work!;
  const dataDir = join(work, 'data');

  // 1. the data set
  console.log(`side by side: simulating ${breaths} train / ${testBreaths} test breaths (seed ${seed}) into ${dataDir}`);
  await writeSimulatedFiles(dataDir, { breaths, testBreaths, seed });
  const config = defaultPresetOn(dataDir, 'quality-side-by-side', epochs === undefined ? undefined : () => epochs);
  const plan = planRun(config, config.name);
  const epochsText = plan.models.map((x) => x.recipe.epochs).join(' / ');
  if (config.seed === seed) console.log(`note: the data seed ${seed} is the preset's own seed; pick another --seed for an independent set`);

  // 2. the default run
  const loadBefore = loadNow();
  console.log(`default preset (${config.models.map((m) => m.id ?? m.name).join(' + ')}, ${config.folds.k} folds, ${epochsText} epochs): tidal run --config ${join(work, 'config.json')}`);
  const run = await runTimed(config, work);
  const m = run.metrics;
  console.log(`default run: ${run.seconds.toFixed(0)} s; test MAE of the blend ${fmtMae(m.blendTestMae)} before post-processing, ${fmtMae(m.testMae)} after`);

  // 3. PyTorch, the same wall time
  const budget = torchSeconds ?? run.seconds;
  const py = torchPython();
  let torch: TorchResult | null = null;
  let torchNote: string;
  if (!py) {
    torchNote = 'PyTorch row skipped: python3 cannot import torch (apt-get install python3-torch)';
    console.log(torchNote);
  } else {
    console.log(`PyTorch 2 x BiLSTM(64) + Dense for ${budget.toFixed(0)} s on ${threads} threads (${py} ${TORCH_SCRIPT})`);
    const r = spawnSync(py, [TORCH_SCRIPT, '--data', dataDir, '--seconds', String(budget), '--seed', String(seed), '--threads', String(threads)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      // Debian's OpenBLAS otherwise starts threads of its own beside torch's; on a busy machine that ran 30x slower.
      env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
    });
    if (r.status !== 0) throw new Error(`${TORCH_SCRIPT} failed (exit ${r.status}): ${r.stdout.trim().split('\n').slice(-3).join(' | ')}`);
    torch = JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
    torchNote = `${torch.epochs.toFixed(1)} epochs (${torch.batches} batches of 32) in ${torch.train_seconds.toFixed(0)} s of training, ${torch.total_seconds.toFixed(0)} s in all; ${torch.params} parameters, ${torch.features} features`;
    console.log(`PyTorch: test MAE ${fmtMae(torch.test_mae)}; ${torchNote}`);
  }

  // 4. the table
  const loadAfter = loadNow();
  const weights = m.blendWeights ? Object.entries(m.blendWeights).map(([id, w]) => `${id} ${w.toFixed(2)}`).join(', ') : config.blend.models;
  const rows = [
    '| | wall seconds | test inspiratory MAE | note |',
    '|---|---|---|---|',
    `| default run: blend before post-processing | ${run.seconds.toFixed(0)} | ${fmtMae(m.blendTestMae)} | ${m.models.map((x) => `${x.model} OOF ${fmtMae(x.oofMae)}`).join(', ')}; blend OOF ${fmtMae(m.blendOofMae)}; weights ${weights}${m.modelContributions.map((c) => `; without ${c.model} ${c.cost >= 0 ? '+' : ''}${c.cost.toFixed(3)}`).join('')} |`,
    `| default run: after post-processing (submission) | same run | ${fmtMae(m.testMae)} | inversion solved ${(100 * m.inversionCoverage).toFixed(1)}% of inspiratory test rows, then grid snapping |`,
    torch
      ? `| PyTorch 2 x BiLSTM(64) + Dense (bench/torch_bilstm.py) | ${torch.train_seconds.toFixed(0)} | ${fmtMae(torch.test_mae)} | ${torchNote} |`
      : `| PyTorch 2 x BiLSTM(64) + Dense (bench/torch_bilstm.py) | - | - | ${torchNote} |`,
    `| per-(R, C, time-step) mean baseline | - | ${fmtMae(m.baselineTestMae)} | |`,
  ].join('\n');
  const overridden = [epochs !== undefined ? '--epochs' : '', torchSeconds !== undefined ? '--torch-seconds' : ''].filter(Boolean);
  const verdict = overridden.length > 0
    ? `A check of the machinery (${overridden.join(' and ')} given), not the measurement: no verdict.`
    : torch && m.blendTestMae !== null
      ? m.blendTestMae <= torch.test_mae
        ? `The blend before post-processing is at or below the PyTorch model (${fmtMae(m.blendTestMae)} against ${fmtMae(torch.test_mae)}): target met.`
        : `The blend before post-processing is above the PyTorch model (${fmtMae(m.blendTestMae)} against ${fmtMae(torch.test_mae)}): target not met.`
      : 'No PyTorch row: no verdict.';
  const command = `npm run quality -- --side-by-side --breaths ${breaths} --test-breaths ${testBreaths} --seed ${seed}${epochs ? ` --epochs ${epochs}` : ''}${torchSeconds ? ` --torch-seconds ${torchSeconds}` : ''} --threads ${threads}`;
  const body = `Learning per minute (issue 16): the \`default\` preset as pipeline/presets/default.json has it,
run through \`tidal run --config\` on a simulated set of its own, next to a plain PyTorch
2 x BiLSTM(64) + Dense trained on the same files for the run's wall seconds. The target is the
blend before post-processing at or below the PyTorch model.

- Command: \`${command}\`
- Date: ${new Date().toISOString().slice(0, 10)}
- Data: ${breaths} train / ${testBreaths} test breaths from the built-in simulator, seed ${seed} (the preset trains with its own seed ${config.seed})
- Default run: ${config.models.map((x) => `${x.id ?? x.name} (${x.size})`).join(' + ')}, ${config.folds.k} folds, ${epochsText} epochs, batch ${plan.models.map((x) => x.recipe.batchSize).join(' / ')}, ${config.jobs} jobs at once; blend ${config.blend.folds} over folds, ${config.blend.models} across models${epochs ? `; **epochs overridden to ${epochs}: a check of the machinery, not the measurement**` : ''}
- PyTorch: ${torch ? `${torch.threads} threads, ` : ''}features: R and C one-hots, time_step, u_in, u_out, u_in cumsum, area, u_in lags 1-2, lead 1, diff (15, standardised); masked MAE on inspiratory rows, Adam 2e-3 cosine-decayed over the time budget, batch 32, all train breaths, no validation split
- ${machineLine(loadBefore, loadAfter)}; ${torchSeconds === undefined ? "the PyTorch model gets the run's wall seconds, whatever they bought" : `the PyTorch model got ${torchSeconds} s (--torch-seconds), not the run's`}

${rows}

${verdict}
`;
  console.log(`\n${rows}\n\n${verdict}`);
  writeQualitySection(values.out!, SIDE_BY_SIDE_HEADING, body);
  console.log(`wrote the "${SIDE_BY_SIDE_HEADING}" section of ${values.out}`);
}
