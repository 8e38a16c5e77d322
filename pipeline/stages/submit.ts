/**
 * Stage `submit`: the configured fold combiner and blend over exactly the planned models and
 * folds, the controller inversion and grid snapping, then submission.csv (checked, atomic) and the
 * blend's out-of-fold predictions, and
 * the scores that follow: out-of-fold MAE of the blend and of the blend without each model,
 * inversion coverage and, when the test answers are known, the test MAE of the blend before
 * post-processing and of the submission, next to the per-(R, C, time-step) baseline's.
 */
import { existsSync } from 'node:fs';
import { fitRcTimeMean, predictRcTimeMean } from '../../models/index.ts';
import { buildSubmission, formatReport, inspiratoryMaeFromUOut, writeBlendOof, type ModelContribution } from '../../submissions/index.ts';
import type { Stage } from '../stage.ts';
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

export const submitStage: Stage<SubmitInput, SubmitResult> = {
  name: 'submit',
  key: ({ files, trained }, ctx) => ({
    jobs: trained.jobs.map((j) => j.key),
    blend: ctx.plan.config.blend,
    postprocess: ctx.plan.config.postprocess,
    sampleSubmission: files.hashes.sampleSubmission,
    answers: files.hashes.answers ?? null,
    // What the result holds: a record written before these scores existed is recomputed, not reused without them.
    scores: ['blendTestMae', 'contributions'],
  }),
  async run({ files, tables, predictions }, ctx) {
    const { config } = ctx.plan;
    // Sorted, as `tidal submit` selects them, so both build the same blend.
    const models = ctx.plan.models.map((m) => m.id).sort();
    const built = await buildSubmission({
      runDir: ctx.run.dir,
      selection: { models, folds: predictions.k },
      train: tables.train,
      test: tables.test,
      sampleSubmission: inputPath(ctx, files, 'sampleSubmission'),
      answers: inputPath(ctx, files, 'answers'),
      foldsPath: ctx.run.catalog.folds,
      foldCombine: config.blend.folds,
      modelCombine: config.blend.models,
      postprocess: config.postprocess,
      out: ctx.run.catalog.submission,
    });
    writeBlendOof(ctx.run.dir, built.blend.oof);
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
  outputsPresent: (_, ctx) => existsSync(ctx.run.catalog.submission) && existsSync(ctx.run.catalog.blendOof),
};
