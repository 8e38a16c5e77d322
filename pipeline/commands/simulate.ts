/**
 * `tidal simulate`: a Kaggle-shaped data set from the built-in ventilator simulator, so every
 * stage can run and be tested without the competition files (docs/simulator.md).
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { integerAtLeast } from './integer-option.ts';
import { writeSimulatedFiles } from '../../simulator/simulated-files.ts';

interface SimulateFlags {
  breaths: number;
  testBreaths?: number;
  seed: number;
  out: string;
}

/**
 * The smallest set `tidal run` accepts: folds need a training breath per fold and the presets use
 * up to 10 folds (the config's simulated input has the same minimum), and there must be a test
 * breath to predict.
 */
const MIN_SIMULATED_BREATHS = 10;
const MIN_SIMULATED_TEST_BREATHS = 1;


export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'Write a simulated train/test set shaped like the Kaggle files: train.csv, test.csv, ' +
        'sample_submission.csv (pressure 0) and test_answers.csv (the true test pressures).',
    )
    .requiredOption(
      '--breaths <n>',
      `training breaths, 80 rows each (Kaggle has 75450; at least ${MIN_SIMULATED_BREATHS})`,
      integerAtLeast(MIN_SIMULATED_BREATHS, `tidal run's folds need a training breath per fold, and presets use up to ${MIN_SIMULATED_BREATHS} folds`),
    )
    .option(
      '--test-breaths <n>',
      'test breaths (default: half of --breaths, rounded down)',
      integerAtLeast(MIN_SIMULATED_TEST_BREATHS, 'tidal run needs a test breath to predict'),
    )
    .requiredOption('--seed <s>', 'integer seed; the same seed writes the same bytes', integerAtLeast(0))
    .requiredOption('--out <dir>', 'folder to write the four CSV files into (created if missing)')
    .action(async (flags: SimulateFlags) => {
      const testBreaths = flags.testBreaths ?? Math.floor(flags.breaths / 2);
      const files = await writeSimulatedFiles(flags.out, { breaths: flags.breaths, testBreaths, seed: flags.seed });
      console.log(
        `simulated ${flags.breaths} train breaths (${files.trainRows} rows) and ${testBreaths} test breaths ` +
          `(${files.testRows} rows), seed ${flags.seed}\n` +
          `wrote ${[files.train, files.test, files.sampleSubmission, files.answers].map((f) => basename(f)).join(', ')} to ${flags.out}`,
      );
    });
}
