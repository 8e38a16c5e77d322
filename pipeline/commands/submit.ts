/**
 * `tidal submit --run DIR`: the blend and submission rebuilt from a run's saved predictions, with
 * the run's recipe or other options, without retraining.
 *
 * Into the run's own submission (the default), it rewrites everything that describes that file,
 * as the submit stage would with these options: submission.csv and blend/oof.arrow, the stage
 * record (key and result: recipe, scores, file hashes), and for a finished run report.md,
 * manifest.json's metrics, report.html and the report stage's record. A later `tidal run` then
 * reuses the record only when its config asks for the same recipe. In a pseudo-labelled run that
 * is the last round (round-2/), which is what `tidal run` submits; round 1, whose blend labelled
 * round 2, stays as it is. With `--out` elsewhere only that file is written.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { RunCatalog, hashFile, hashJson } from '../../core/index.ts';
import { readFoldsCsv } from '../../folds/index.ts';
import {
  DEFAULT_AGREEMENT,
  DEFAULT_INVERSION,
  blendMethods,
  buildSubmission,
  describeRecipe,
  foldCombiners,
  formatReport,
  formatScores,
  loadRunPredictions,
  recipeOptions,
  type BuiltSubmission,
  type PredictionSelection,
  type SubmissionRecipe,
} from '../../submissions/index.ts';
import { modelEntryId, readRunConfig } from '../config.ts';
import { RunFolder, type Manifest } from '../run-folder.ts';
import { runPipeline } from '../run.ts';
import type { PredictionsResult } from '../stages/predictions.ts';
import { PSEUDO_ROUND, submittedRound } from '../stages/pseudo-label.ts';
import { reportKey, writeRunReport, type ReportInput } from '../stages/report.ts';
import { submitKey, submitStageName, writeRoundSubmission, type SubmitResult } from '../stages/submit.ts';
import type { TrainResult } from '../stages/train.ts';

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
function runSelection(catalog: RunCatalog, round: number): PredictionSelection {
  const predictionsDir = new RunCatalog(catalog.roundDir(round)).predictionsDir;
  if (round > 1 && !existsSync(predictionsDir)) {
    throw new Error(
      `${catalog.dir} is pseudo-labelled and round ${round} has no predictions yet (${predictionsDir} is missing): ` +
        `finish the run with \`tidal run\` first (tidal submit rebuilds round ${round}, the round tidal run submits)`,
    );
  }
  const models = existsSync(catalog.config)
    ? readRunConfig(catalog.config).models.map(modelEntryId)
    : existsSync(predictionsDir)
      ? readdirSync(predictionsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
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

/** The option values, checked: the registries name a bad --folds or --models themselves. */
function checkNumbers(options: SubmitOptions): void {
  if (!(options.agreement >= 0)) throw new Error(`--agreement must be a number >= 0 (cmH2O), got ${options.agreement}`);
  if (!(options.tolerance > 0 && Number.isFinite(options.tolerance))) throw new Error(`--tolerance must be a number > 0 (cmH2O), got ${options.tolerance}`);
}

/** The stages' results a report is made of; null when one is missing or from before recipes were recorded. */
function reportInput(run: RunFolder, pseudoLabelled: boolean): ReportInput | null {
  const round = (predictionsStage: string, submitStage: string) => {
    const predictions = run.lastRecord<PredictionsResult>(predictionsStage)?.result;
    const submitted = run.lastRecord<SubmitResult>(submitStage)?.result;
    return predictions && submitted?.recipe ? { predictions, submitted } : null;
  };
  const round1 = round('predictions', submitStageName(1));
  if (!round1) return null;
  if (!pseudoLabelled) return round1;
  const round2 = round(`predictions-round-${PSEUDO_ROUND}`, submitStageName(PSEUDO_ROUND));
  return round2 ? { ...round1, round2 } : null;
}

/**
 * Rewrites the run's own submission with `recipe` and everything that describes it; returns the
 * submission and the files written.
 */
async function rebuildRunSubmission(catalog: RunCatalog, round: number, recipe: SubmissionRecipe, selection: PredictionSelection, answers: string | undefined): Promise<{ built: BuiltSubmission; written: string[] }> {
  const run = new RunFolder(catalog.dir);
  const roundCatalog = new RunCatalog(catalog.roundDir(round));
  const started = Date.now();
  const { built, result } = await writeRoundSubmission(run, round, recipe, { models: selection.models, folds: selection.folds, answers });
  const written = [catalog.roundSubmission(round), roundCatalog.blendOof];
  const trained = run.lastRecord<TrainResult>(round === 1 ? 'train' : `train-round-${round}`);
  const manifest = run.readManifest();
  // A folder the pipeline did not write (predictions and inputs only) has no records to keep in step.
  if (!trained || !manifest) return { built, written };

  const key = submitKey({
    jobKeys: trained.result.jobs.map((j) => j.key),
    recipe,
    sampleSubmission: manifest.inputHashes.sampleSubmission,
    answers: answers ? await hashFile(resolve(answers)) : (manifest.inputHashes.answers ?? null),
  });
  const stage = submitStageName(round);
  run.completeStage(stage, { key: hashJson(key), seconds: (Date.now() - started) / 1000, result }, false);
  written.push(catalog.stageRecord(stage));

  // A run that never reached its report gets one from `tidal run`, which reuses this record.
  if (!run.lastRecord('report')) return { built, written };
  const config = readRunConfig(catalog.config);
  const input = reportInput(run, config.pseudoLabel !== undefined);
  if (!input) {
    console.log(`the report was written before tidal recorded how submissions are made: run \`tidal run\` with the run's config to rewrite it`);
    return { built, written };
  }
  const reportStarted = Date.now();
  const report = await writeRunReport(input, run, config.name);
  run.completeStage('report', { key: hashJson(reportKey(input, config.name)), seconds: (Date.now() - reportStarted) / 1000, result: report }, false);
  written.push(catalog.report, catalog.htmlReport, catalog.manifest, catalog.stageRecord('report'));
  return { built, written };
}

export function register(program: Command): void {
  program
    .command('submit')
    .description(
      "Rebuild the blend and submission.csv from a run's saved predictions, without retraining. Into the run's own submission " +
        '(the default) it also rewrites what describes it: blend/oof.arrow, the submit stage record (recipe, scores) and, for a ' +
        'finished run, report.md, manifest.json metrics and report.html; a later `tidal run` rebuilds it when its config asks for ' +
        'another recipe. A pseudo-labelled run rebuilds its last round (round-2/), the one `tidal run` submits; round 1 stays as it is.',
    )
    .requiredOption('--run <dir>', 'run folder (predictions/, folds.csv, manifest.json with the input paths)')
    .option('--folds <name>', `how a model's fold predictions combine: ${foldCombiners.names().join(', ')} (default: the run's, else median)`)
    .option('--agreement <cmH2O>', 'better-than-median: largest fold spread that still takes the mean', Number, DEFAULT_AGREEMENT)
    .option('--models <name>', `how models combine: ${blendMethods.names().join(', ')} (default: the run's, else weights)`)
    .option('--no-invert', 'do not replace rows solved by inverting the PI controller')
    .option('--no-snap', 'do not snap to the 950-level pressure grid')
    .option('--tolerance <cmH2O>', 'inversion: largest distance from a grid level that counts as on it', Number, DEFAULT_INVERSION.tolerance)
    .option('--answers <file>', "test answers (id,pressure) to score the submission (default: the run manifest's, if any)")
    .option('--out <file>', "write the submission there instead, and leave the run folder untouched (default: the run's own, RUN/submission.csv or RUN/round-2/submission.csv)")
    .option('--retrain', "when the run's input files changed since it trained, retrain what depends on them (tidal run with the run's config) instead of refusing")
    .action(async (options: SubmitOptions, command: Command) => {
      checkNumbers(options);
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
      const recipe: SubmissionRecipe = {
        folds: options.folds ?? defaults.folds ?? 'median',
        agreement: options.agreement,
        models: options.models ?? defaults.models ?? 'weights',
        invert: fromCli('invert') ? options.invert : (defaults.invert ?? true),
        tolerance: options.tolerance,
        snap: fromCli('snap') ? options.snap : (defaults.snap ?? true),
      };
      const round = submittedRound(catalog);
      const own = catalog.roundSubmission(round);
      const out = options.out === undefined ? own : resolve(options.out);
      if (out !== own && out === catalog.roundSubmission(1)) {
        throw new Error(`--out ${out} is round 1's submission, whose blend labelled round 2 of this pseudo-labelled run: write elsewhere, or omit --out to rebuild ${own}`);
      }
      const selection = runSelection(catalog, round);
      let built: BuiltSubmission;
      let written: string[];
      if (out === own) {
        ({ built, written } = await rebuildRunSubmission(catalog, round, recipe, selection, options.answers));
      } else {
        built = await buildSubmission({
          runDir: catalog.dir,
          predictions: loadRunPredictions(catalog.roundDir(round), selection),
          answers: options.answers,
          ...recipeOptions(recipe),
          out,
        });
        written = [out];
      }
      if (round > 1) console.log(`round ${round} of a pseudo-labelled run (${catalog.roundDir(round)}): the round tidal run submits\n`);
      console.log(`the submission: ${describeRecipe(recipe)}\n`);
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
      console.log(`\nwrote ${written.join(', ')}`);
      if (out !== own) console.log(`(the run folder ${catalog.dir} is untouched)`);
    });
}
