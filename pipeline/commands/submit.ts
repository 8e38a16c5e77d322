import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_AGREEMENT, DEFAULT_INVERSION, blendMethods, buildSubmission, foldCombiners, formatReport, formatScores } from '../../submissions/index.ts';

interface SubmitOptions {
  run: string;
  folds?: string;
  agreement: number;
  models?: string;
  invert: boolean;
  snap: boolean;
  tolerance: number;
  answers?: string;
  out?: string;
}

/** The run's own blend and post-processing choices (config.json), the defaults for the options. */
function runDefaults(runDir: string): { folds?: string; models?: string; invert?: boolean; snap?: boolean } {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) return {};
  const config = JSON.parse(readFileSync(path, 'utf8')) as { blend?: { folds?: string; models?: string }; postprocess?: { invert?: boolean; snap?: boolean } };
  return { ...config.blend, ...config.postprocess };
}

export function register(program: Command): void {
  program
    .command('submit')
    .description("Rebuild the blend and submission.csv from a run's saved predictions, without retraining.")
    .requiredOption('--run <dir>', 'run folder (predictions/, folds.csv, manifest.json with the input paths)')
    .option('--folds <name>', `how a model's fold predictions combine: ${foldCombiners.names().join(', ')} (default: the run's, else median)`)
    .option('--agreement <cmH2O>', 'better-than-median: largest fold spread that still takes the mean', Number, DEFAULT_AGREEMENT)
    .option('--models <name>', `how models combine: ${blendMethods.names().join(', ')} (default: the run's, else weights)`)
    .option('--no-invert', 'do not replace rows solved by inverting the PI controller')
    .option('--no-snap', 'do not snap to the 950-level pressure grid')
    .option('--tolerance <cmH2O>', 'inversion: largest distance from a grid level that counts as on it', Number, DEFAULT_INVERSION.tolerance)
    .option('--answers <file>', "test answers (id,pressure) to score the submission (default: the run manifest's, if any)")
    .option('--out <file>', 'where to write the submission (default: RUN/submission.csv)')
    .action(async (options: SubmitOptions, command: Command) => {
      const defaults = runDefaults(options.run);
      const fromCli = (name: string) => command.getOptionValueSource(name) === 'cli';
      const invert = fromCli('invert') ? options.invert : (defaults.invert ?? true);
      const snap = fromCli('snap') ? options.snap : (defaults.snap ?? true);
      const out = options.out ?? join(options.run, 'submission.csv');
      const built = await buildSubmission({
        runDir: options.run,
        answers: options.answers,
        foldCombine: options.folds ?? defaults.folds ?? 'median',
        foldOptions: { agreement: options.agreement },
        modelCombine: options.models ?? defaults.models ?? 'weights',
        postprocess: { invert, snap, inversion: { tolerance: options.tolerance } },
        out,
      });
      console.log('out-of-fold inspiratory MAE (blends fitted cross-validated over the same folds):\n');
      console.log(formatReport(built.report));
      if (built.blend.fit.weights) {
        const models = built.report.array('name').slice(0, built.blend.fit.weights.length) as string[];
        console.log(`\nblend weights: ${built.blend.fit.weights.map((w, m) => `${models[m]} ${w.toFixed(3)}`).join(', ')}`);
      }
      if (built.inversion) {
        const { train, test } = built.inversion;
        console.log(
          `\ncontroller inversion: train ${(100 * train.coverage).toFixed(1)}% of inspiratory rows (${train.matchedBreaths}/${train.breaths} breaths, ` +
            `MAE on solved rows ${train.solvedMae?.toExponential(2)}), test ${(100 * test.coverage).toFixed(1)}% (${test.matchedBreaths}/${test.breaths} breaths)`,
        );
      }
      if (built.testScores) {
        console.log(`\ntest inspiratory MAE: ${built.testScores[0].mae.toFixed(5)}\n`);
        console.log(formatScores(built.testScores));
      }
      console.log(`\nwrote ${out}`);
    });
}
