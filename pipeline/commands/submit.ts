import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { RunCatalog, hashFile } from '../../core/index.ts';
import { readFoldsCsv } from '../../folds/index.ts';
import { DEFAULT_AGREEMENT, DEFAULT_INVERSION, blendMethods, buildSubmission, foldCombiners, formatReport, formatScores, type PredictionSelection } from '../../submissions/index.ts';
import { modelEntryId, readRunConfig } from '../config.ts';
import type { Manifest } from '../run-folder.ts';
import { runPipeline } from '../run.ts';

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
  retrain?: boolean;
}

/** The models and folds the run trained: its config's models (else every saved model) and folds.csv's k. */
function runSelection(catalog: RunCatalog): PredictionSelection {
  const models = existsSync(catalog.config)
    ? readRunConfig(catalog.config).models.map(modelEntryId)
    : existsSync(catalog.predictionsDir)
      ? readdirSync(catalog.predictionsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
      : [];
  if (models.length === 0) throw new Error(`${catalog.dir}: no trained models (no config.json and no predictions/): train the run first`);
  return { models: models.sort(), folds: readFoldsCsv(catalog.folds).nFolds };
}

/** The inputs whose bytes differ from those the run trained on (manifest.json's inputHashes). */
async function changedInputs(catalog: RunCatalog): Promise<string[]> {
  if (!existsSync(catalog.manifest)) return [];
  const manifest = JSON.parse(readFileSync(catalog.manifest, 'utf8')) as Partial<Manifest>;
  const changed: string[] = [];
  for (const [name, hash] of Object.entries(manifest.inputHashes ?? {})) {
    const given = manifest.inputs?.[name];
    if (!given) continue;
    const path = isAbsolute(given) ? given : resolve(catalog.dir, given);
    if (!existsSync(path) || (await hashFile(path)) !== hash) changed.push(path);
  }
  return changed;
}

/** The run's own blend and post-processing choices (config.json), the defaults for the options. */
function runDefaults(catalog: RunCatalog): { folds?: string; models?: string; invert?: boolean; snap?: boolean } {
  const path = catalog.config;
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
    .option('--retrain', "when the run's input files changed since it trained, retrain what depends on them (tidal run with the run's config) instead of refusing")
    .action(async (options: SubmitOptions, command: Command) => {
      const catalog = new RunCatalog(options.run);
      const changed = await changedInputs(catalog);
      if (changed.length > 0) {
        if (!options.retrain) {
          throw new Error(
            `${changed.join(', ')} changed since ${catalog.dir} was trained (${catalog.manifest} records other hashes): ` +
              `its predictions are stale. Rerun with --retrain to retrain what depends on the change.`,
          );
        }
        console.log(`inputs changed since training (${changed.join(', ')}): retraining`);
        await runPipeline({ config: readRunConfig(catalog.config), source: catalog.config, outDir: catalog.dir });
      }
      const defaults = runDefaults(catalog);
      const fromCli = (name: string) => command.getOptionValueSource(name) === 'cli';
      const invert = fromCli('invert') ? options.invert : (defaults.invert ?? true);
      const snap = fromCli('snap') ? options.snap : (defaults.snap ?? true);
      const out = options.out ?? catalog.submission;
      const built = await buildSubmission({
        runDir: catalog.dir,
        selection: runSelection(catalog),
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
