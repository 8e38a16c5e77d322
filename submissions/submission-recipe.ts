/**
 * How a submission is made from a run's saved predictions: the fold combiner, the blend method and
 * the post-processing, with their options. The run config sets some (blend, postprocess); `tidal
 * submit` may set all; the run folder records the one that made its submission.
 */
import type { BuildSubmissionOptions } from './build-submission.ts';

export interface SubmissionRecipe {
  /** Fold combiner: how a model's fold predictions combine (foldCombiners). */
  folds: string;
  /** better-than-median: the largest fold spread (cmH2O) that still takes the mean. */
  agreement: number;
  /** Blend method: how models combine (blendMethods). */
  models: string;
  invert: boolean;
  /** Inversion: the largest distance (cmH2O) from a grid level that counts as on it. */
  tolerance: number;
  snap: boolean;
}

/** The recipe as buildSubmission's options. */
export function recipeOptions(recipe: SubmissionRecipe): Pick<BuildSubmissionOptions, 'foldCombine' | 'foldOptions' | 'modelCombine' | 'postprocess'> {
  return {
    foldCombine: recipe.folds,
    foldOptions: { agreement: recipe.agreement },
    modelCombine: recipe.models,
    postprocess: { invert: recipe.invert, snap: recipe.snap, inversion: { tolerance: recipe.tolerance } },
  };
}

/** The recipe in words, for report.md, report.html and the terminal. */
export function describeRecipe(recipe: SubmissionRecipe): string {
  const folds = recipe.folds === 'better-than-median' ? `better-than-median (agreement ${recipe.agreement} cmH2O)` : recipe.folds;
  const steps = [recipe.invert ? `inverting the PI controller (tolerance ${recipe.tolerance} cmH2O)` : '', recipe.snap ? 'snapping to the pressure grid' : ''].filter(Boolean);
  return `models blended by ${recipe.models}, each model's folds by ${folds}; post-processing: ${steps.length > 0 ? steps.join(', ') : 'none'}`;
}
