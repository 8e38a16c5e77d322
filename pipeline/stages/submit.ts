/**
 * Stage `submit`: the configured fold combiner and blend over exactly the planned models and
 * folds, the controller inversion and grid snapping, then submission.csv (checked, atomic) and the
 * blend's out-of-fold predictions, and
 * the scores that follow: out-of-fold MAE of the blend and of the blend without each model,
 * inversion coverage and, when the test answers are known, the test MAE of the blend before
 * post-processing and of the submission, next to the per-(R, C, time-step) baseline's.
 * A pseudo-labelled round's (`submitRoundStage`) blends its own predictions into round-N/.
 *
 * `tidal submit` (pipeline/commands/submit.ts) writes the same outputs and the same record through
 * `writeRoundSubmission` and `submitKey`, with its own recipe: a later `tidal run` reuses that
 * record only when the config's recipe is the same, and only while the files have the recorded bytes.
 */
import { existsSync } from 'node:fs';
import { fitRcTimeMean, predictRcTimeMean } from '../../models/index.ts';
import {
  DEFAULT_AGREEMENT,
  DEFAULT_INVERSION,
  buildSubmission,
  formatReport,
  recipeOptions,
  inspiratoryMaeFromUOut,
  loadRunPredictions,
  writeBlendOof,
  type BuildSubmissionOptions,
  type BuiltSubmission,
  type ModelContribution,
  type SubmissionRecipe,
} from '../../submissions/index.ts';
import { RunCatalog, hashFileSync } from '../../core/index.ts';
import type { RunConfig } from '../config.ts';
import type { RunFolder } from '../run-folder.ts';
import type { Stage, StageContext } from '../stage.ts';
import type { BreathTables } from './ingest.ts';
import { inputPath, type InputFiles } from './input.ts';
import type { PredictionsResult } from './predictions.ts';
import type { TrainResult } from './train.ts';

export interface SubmitInput {
  files: InputFiles;
  tables: BreathTables;
  trained: TrainResult;
  predictions: PredictionsResult;
}

export interface SubmitResult {
  /** The blend and post-processing that made the submission. */
  recipe: SubmissionRecipe;
  /** SHA-256 of submission.csv and blend/oof.arrow as written: the record holds only while they are. */
  files: { submission: string; blendOof: string };
  blendOofMae: number;
  postprocessedOofMae: number;
  /** Share of inspiratory test rows solved by the inversion (0 when it did not run). */
  inversionCoverage: number;
  /** Inspiratory MAE of the submission on the test answers, when known. */
  testMae: number | null;
  /** ... and of the blend before post-processing (inversion, snapping). */
  blendTestMae: number | null;
  /** The per-(R, C, time-step) mean baseline on the same rows. */
  baselineTestMae: number | null;
  /** Model name -> blend weight, for weighted blends. */
  blendWeights: Record<string, number> | null;
  /** Per model, the blend refitted without it (empty for one model). */
  contributions: ModelContribution[];
  /** Out-of-fold MAE per model and blend, overall and per (R, C), as a Markdown table. */
  reportTable: string;
}

/** The config's recipe; the options it cannot set take the defaults `tidal submit` also has. */
export function configRecipe(config: Pick<RunConfig, 'blend' | 'postprocess'>): SubmissionRecipe {
  return {
    folds: config.blend.folds,
    agreement: DEFAULT_AGREEMENT,
    models: config.blend.models,
    invert: config.postprocess.invert,
    tolerance: DEFAULT_INVERSION.tolerance,
    snap: config.postprocess.snap,
  };
}

/** What a round's submission depends on: the stage key, for `tidal run` and `tidal submit` alike. */
export function submitKey(parts: { jobKeys: string[]; recipe: SubmissionRecipe; sampleSubmission: string | undefined; answers: string | null }): unknown {
  return {
    jobs: parts.jobKeys,
    recipe: parts.recipe,
    sampleSubmission: parts.sampleSubmission,
    answers: parts.answers,
    // What the result holds: a record written before these existed is recomputed, not reused without them.
    scores: ['blendTestMae', 'contributions', 'recipe', 'files'],
  };
}

/** The stage's name for a round: `submit`, or `submit-round-N` for a pseudo-labelled round. */
export function submitStageName(round: number): string {
  return round === 1 ? 'submit' : `submit-round-${round}`;
}

/** The round's submission.csv and blend/oof.arrow hold the bytes the result records. */
export function roundOutputsIntact(catalog: RunCatalog, round: number, result: SubmitResult): boolean {
  const submission = catalog.roundSubmission(round);
  const blendOof = new RunCatalog(catalog.roundDir(round)).blendOof;
  if (!result.files || !existsSync(submission) || !existsSync(blendOof)) return false;
  return hashFileSync(submission) === result.files.submission && hashFileSync(blendOof) === result.files.blendOof;
}

/** What a round's predictions are blended with: the tables and files the run already has, else the manifest's. */
export interface RoundSources extends Pick<BuildSubmissionOptions, 'train' | 'test' | 'sampleSubmission' | 'answers'> {
  models: string[];
  folds: number;
}

/** Builds a round's submission with `recipe`, writes it with the blend's OOF predictions, and returns the stage result. */
export async function writeRoundSubmission(run: RunFolder, round: number, recipe: SubmissionRecipe, sources: RoundSources): Promise<{ built: BuiltSubmission; result: SubmitResult }> {
  const catalog = run.catalog;
  const roundDir = catalog.roundDir(round);
  const built = await buildSubmission({
    runDir: run.dir,
    predictions: loadRunPredictions(roundDir, { models: sources.models, folds: sources.folds }),
    train: sources.train,
    test: sources.test,
    sampleSubmission: sources.sampleSubmission,
    answers: sources.answers,
    foldsPath: catalog.folds,
    ...recipeOptions(recipe),
    out: catalog.roundSubmission(round),
  });
  writeBlendOof(roundDir, built.blend.oof);
  const { train, test, answers } = built.inputs;
  const baseline = answers ? inspiratoryMaeFromUOut(predictRcTimeMean(fitRcTimeMean(train), test), answers, test.uOut) : null;
  const weights = built.blend.fit.weights;
  const result: SubmitResult = {
    recipe,
    files: { submission: hashFileSync(catalog.roundSubmission(round)), blendOof: hashFileSync(new RunCatalog(roundDir).blendOof) },
    blendOofMae: built.blendOofMae,
    postprocessedOofMae: built.postprocessedOofMae,
    inversionCoverage: built.inversionCoverage,
    testMae: built.testMae ?? null,
    blendTestMae: built.blendTestMae ?? null,
    baselineTestMae: baseline,
    blendWeights: weights ? Object.fromEntries(sources.models.map((id, i) => [id, weights[i]])) : null,
    contributions: built.contributions,
    reportTable: formatReport(built.report),
  };
  return { built, result };
}

/** The configured blend and post-processing of a round's saved predictions (written nowhere). */
export async function buildRunSubmission(input: SubmitInput, ctx: StageContext, round: number): Promise<{ built: BuiltSubmission; models: string[] }> {
  const { files, tables, predictions } = input;
  // Sorted, as `tidal submit` selects them, so both build the same blend.
  const models = ctx.plan.models.map((m) => m.id).sort();
  const built = await buildSubmission({
    runDir: ctx.run.dir,
    predictions: loadRunPredictions(ctx.run.catalog.roundDir(round), { models, folds: predictions.k }),
    train: tables.train,
    test: tables.test,
    sampleSubmission: inputPath(ctx, files, 'sampleSubmission'),
    answers: inputPath(ctx, files, 'answers'),
    foldsPath: ctx.run.catalog.folds,
    ...recipeOptions(configRecipe(ctx.plan.config)),
  });
  return { built, models };
}

function submitStageFor(round: number): Stage<SubmitInput, SubmitResult> {
  return {
    name: submitStageName(round),
    key: ({ files, trained }, ctx) =>
      submitKey({
        jobKeys: trained.jobs.map((j) => j.key),
        recipe: configRecipe(ctx.plan.config),
        sampleSubmission: files.hashes.sampleSubmission,
        answers: files.hashes.answers ?? null,
      }),
    async run(input, ctx) {
      const { files, tables, predictions } = input;
      const { result } = await writeRoundSubmission(ctx.run, round, configRecipe(ctx.plan.config), {
        // Sorted, as `tidal submit` selects them, so both build the same blend.
        models: ctx.plan.models.map((m) => m.id).sort(),
        folds: predictions.k,
        train: tables.train,
        test: tables.test,
        sampleSubmission: inputPath(ctx, files, 'sampleSubmission'),
        answers: inputPath(ctx, files, 'answers'),
      });
      return result;
    },
    outputsPresent: (result, ctx) => roundOutputsIntact(ctx.run.catalog, round, result),
  };
}

export const submitStage = submitStageFor(1);

/** A pseudo-labelled round's blend and submission: stage `submit-round-N`, into round-N/. */
export function submitRoundStage(round: number): Stage<SubmitInput, SubmitResult> {
  return submitStageFor(round);
}
