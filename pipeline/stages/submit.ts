/**
 * Stage `submit`: the configured fold combiner and blend over exactly the planned models and
 * folds, the controller inversion and grid snapping, then submission.csv (checked, atomic) and the
 * blend's out-of-fold predictions, and
 * the scores that follow: out-of-fold MAE of the blend and of the blend without each model,
 * inversion coverage and, when the test answers are known, the test MAE of the blend before
 * post-processing and of the submission, next to the per-(R, C, time-step) baseline's.
 * A pseudo-labelled round's (`submitRoundStage`) blends its own predictions into round-N/.
 */
import { existsSync } from 'node:fs';
import { fitRcTimeMean, predictRcTimeMean } from '../../models/index.ts';
import { buildSubmission, formatReport, inspiratoryMaeFromUOut, loadRunPredictions, writeBlendOof, type BuiltSubmission, type ModelContribution } from '../../submissions/index.ts';
import { RunCatalog } from '../../core/index.ts';
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

/** The configured blend and post-processing of a round's saved predictions; writes `out` when given. */
export async function buildRunSubmission(input: SubmitInput, ctx: StageContext, round: number, out?: string): Promise<{ built: BuiltSubmission; models: string[] }> {
  const { files, tables, predictions } = input;
  const { config } = ctx.plan;
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
    foldCombine: config.blend.folds,
    modelCombine: config.blend.models,
    postprocess: config.postprocess,
    out,
  });
  return { built, models };
}

function submitStageFor(name: string, round: number): Stage<SubmitInput, SubmitResult> {
  const submission = (ctx: StageContext) => ctx.run.catalog.roundSubmission(round);
  const blendOof = (ctx: StageContext) => new RunCatalog(ctx.run.catalog.roundDir(round)).blendOof;
  return {
    name,
    key: ({ files, trained }, ctx) => ({
      jobs: trained.jobs.map((j) => j.key),
      blend: ctx.plan.config.blend,
      postprocess: ctx.plan.config.postprocess,
      sampleSubmission: files.hashes.sampleSubmission,
      answers: files.hashes.answers ?? null,
      // What the result holds: a record written before these scores existed is recomputed, not reused without them.
      scores: ['blendTestMae', 'contributions'],
    }),
    async run(input, ctx) {
      const { tables } = input;
      const { built, models } = await buildRunSubmission(input, ctx, round, submission(ctx));
      writeBlendOof(ctx.run.catalog.roundDir(round), built.blend.oof);
      const answers = built.inputs.answers;
      const baseline = answers ? inspiratoryMaeFromUOut(predictRcTimeMean(fitRcTimeMean(tables.train), tables.test), answers, tables.test.uOut) : null;
      const weights = built.blend.fit.weights;
      return {
        blendOofMae: built.blendOofMae,
        postprocessedOofMae: built.postprocessedOofMae,
        inversionCoverage: built.inversionCoverage,
        testMae: built.testMae ?? null,
        blendTestMae: built.blendTestMae ?? null,
        baselineTestMae: baseline,
        blendWeights: weights ? Object.fromEntries(models.map((id, i) => [id, weights[i]])) : null,
        contributions: built.contributions,
        reportTable: formatReport(built.report),
      };
    },
    outputsPresent: (_, ctx) => existsSync(submission(ctx)) && existsSync(blendOof(ctx)),
  };
}

export const submitStage = submitStageFor('submit', 1);

/** A pseudo-labelled round's blend and submission: stage `submit-round-N`, into round-N/. */
export function submitRoundStage(round: number): Stage<SubmitInput, SubmitResult> {
  return submitStageFor(`submit-round-${round}`, round);
}
