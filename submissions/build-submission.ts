/**
 * From saved predictions to submission values, without retraining:
 *
 *   predictions/<model>/test-fold<k>  --(1. fold combiner)-->  one test prediction per model
 *   predictions/<model>/oof           --(2. cross-validated blend across models)-->  blend fit + honest OOF blend
 *   test predictions per model        --(3. apply blend fit)-->  test blend
 *   test blend (and the OOF blend)    --(4. post-process: invert, snap)-->  final values + scores
 *   OOF per model                     --(5. blend refitted without each model)-->  what each model adds
 */
import type * as aq from 'arquero';
import { ROWS_PER_BREATH } from '../dataset/index.ts';
import { blendMethods } from './blend-methods/index.ts';
import { crossValidatedBlend, type CrossValidatedBlend } from './cross-validated-blend.ts';
import { foldCombiners, type FoldCombinerOptions } from './fold-combiners/index.ts';
import { inspiratoryMaeFromUOut, inspiratoryMaeByRc, type RcScore } from './inspiratory-mae.ts';
import { modelContributions, type ModelContribution } from './model-contributions.ts';
import type { InversionResult } from './invert-controller.ts';
import { oofReport, type ScoredPredictions } from './oof-report.ts';
import { postprocess, type PostprocessOptions } from './postprocess.ts';
import { loadRunPredictions, type PredictionSelection, type RunPredictions } from './prediction-store.ts';
import { resolveInputs, type InputSources, type SubmissionInputs } from './run-inputs.ts';
import { writeSubmission } from './write-submission.ts';

export interface BuildSubmissionOptions extends InputSources {
  /** Predictions; default: the selected ones loaded from runDir/predictions. */
  predictions?: RunPredictions;
  /** Which saved predictions to blend (with runDir): exactly these models and folds. */
  selection?: PredictionSelection;
  /** All inputs at once (overrides the InputSources fields). */
  inputs?: SubmissionInputs;
  /** Write submission.csv here (checked, atomic). Nothing is written without it. */
  out?: string;
  /** Fold combiner name (see foldCombiners). Default 'median'. */
  foldCombine?: string;
  foldOptions?: FoldCombinerOptions;
  /** Blend method name (see blendMethods). Default 'weights'. */
  modelCombine?: string;
  postprocess?: PostprocessOptions;
}

export interface InversionSummary {
  matchedBreaths: number;
  breaths: number;
  coverage: number;
  /** Train only: MAE of the reconstructed pressures on the rows solved (0 when the inversion is exact). */
  solvedMae?: number;
}

export interface BuiltSubmission {
  /** Final value per test row, in the test table's row order. */
  pressure: Float64Array;
  /** The blend's value per test row before post-processing (same order). */
  testBlend: Float64Array;
  inputs: SubmissionInputs;
  blend: CrossValidatedBlend;
  /** OOF inspiratory MAE per model, of the cross-validated blend, and of the blend after post-processing. */
  report: aq.ColumnTable;
  inversion?: { train: InversionSummary; test: InversionSummary };
  /** OOF inspiratory MAE of the cross-validated blend, before post-processing. */
  blendOofMae: number;
  /** ... and after it. */
  postprocessedOofMae: number;
  /** Per model, the cross-validated blend's OOF MAE without it (empty for a single model). */
  contributions: ModelContribution[];
  /** Share of inspiratory test rows solved by the inversion (0 when it did not run). */
  inversionCoverage: number;
  /** Scores of the final test values when the answers are known (overall first, then per pair). */
  testScores?: RcScore[];
  testMae?: number;
  /** Inspiratory test MAE of the blend before post-processing, when the answers are known. */
  blendTestMae?: number;
}

function summarise(inv: InversionResult, breaths: number, truth?: Float64Array | null): InversionSummary {
  const summary: InversionSummary = { matchedBreaths: inv.matchedBreaths, breaths, coverage: inv.coverage };
  if (truth) {
    let sum = 0;
    for (let i = 0; i < truth.length; i++) if (!Number.isNaN(inv.pressure[i])) sum += Math.abs(inv.pressure[i] - truth[i]);
    summary.solvedMae = inv.solvedRows === 0 ? NaN : sum / inv.solvedRows;
  }
  return summary;
}

export async function buildSubmission(options: BuildSubmissionOptions): Promise<BuiltSubmission> {
  if (!options.predictions && !(options.runDir && options.selection)) throw new Error('buildSubmission: give predictions, or runDir and a selection');
  const foldCombiner = foldCombiners.get(options.foldCombine ?? 'median');
  const method = blendMethods.get(options.modelCombine ?? 'weights');
  const predictions = options.predictions ?? loadRunPredictions(options.runDir!, options.selection!);
  const inputs = options.inputs ?? (await resolveInputs(options));
  const { train, test } = inputs;
  if (!train.pressure) throw new Error('buildSubmission: the train table has no pressure column');
  const trainRows = train.nBreaths * ROWS_PER_BREATH;
  const testRows = test.nBreaths * ROWS_PER_BREATH;
  for (const model of predictions.models) {
    const p = predictions.byModel.get(model)!;
    if (p.oof.length !== trainRows) throw new Error(`model '${model}': ${p.oof.length} OOF rows but the train table has ${trainRows}`);
    if (p.testByFold[0].length !== testRows) throw new Error(`model '${model}': ${p.testByFold[0].length} test rows but the test table has ${testRows}`);
  }

  // 1. Folds -> one test prediction per model.
  const oofs = predictions.models.map((m) => predictions.byModel.get(m)!.oof);
  const tests = predictions.models.map((m) => foldCombiner.combine(predictions.byModel.get(m)!.testByFold, options.foldOptions));
  // 2-3. Blend across models, scored out of fold; the fit on all OOF rows goes to test.
  const blend = crossValidatedBlend(method, oofs, train, inputs.breathFold);
  const testBlend = method.apply(blend.fit, tests);
  // 4. Post-process test, and the OOF blend the same way so its score shows what post-processing buys.
  const post = options.postprocess ?? {};
  const finalTest = postprocess(testBlend, test, post);
  const finalOof = postprocess(blend.oof, train, post);

  const steps = [post.invert ?? true ? 'invert' : '', post.snap ?? true ? 'snap' : ''].filter(Boolean);
  const entries: ScoredPredictions[] = [
    ...predictions.models.map((name, m) => ({ name, oof: oofs[m] })),
    { name: `blend:${method.name}`, oof: blend.oof },
  ];
  if (steps.length > 0) entries.push({ name: `blend:${method.name}+${steps.join('+')}`, oof: finalOof.pressure });
  const built: BuiltSubmission = {
    pressure: finalTest.pressure,
    testBlend: Float64Array.from(testBlend),
    inputs,
    blend,
    report: oofReport(entries, train),
    blendOofMae: inspiratoryMaeFromUOut(blend.oof, train.pressure!, train.uOut),
    postprocessedOofMae: inspiratoryMaeFromUOut(finalOof.pressure, train.pressure!, train.uOut),
    inversionCoverage: finalTest.inversion?.coverage ?? 0,
    contributions: [],
  };
  // 5. What each model adds: the same cross-validated fitting without it.
  if (predictions.models.length >= 2) {
    const models = predictions.models.map((name, m) => ({ name, oof: oofs[m] }));
    built.contributions = modelContributions(method, models, train, inputs.breathFold, built.blendOofMae);
  }
  if (finalTest.inversion && finalOof.inversion) {
    built.inversion = {
      train: summarise(finalOof.inversion, train.nBreaths, train.pressure),
      test: summarise(finalTest.inversion, test.nBreaths, inputs.answers),
    };
  }
  if (inputs.answers) {
    built.testScores = inspiratoryMaeByRc(finalTest.pressure, inputs.answers, test);
    built.testMae = built.testScores[0].mae;
    built.blendTestMae = inspiratoryMaeFromUOut(testBlend, inputs.answers, test.uOut);
  }
  if (options.out) await writeSubmission(options.out, test.id, finalTest.pressure, inputs.sampleIds, { requireGrid: post.snap ?? true });
  return built;
}
