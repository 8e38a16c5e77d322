export { fitFold, type FitFoldOptions, type FoldResult } from './fit-fold.ts';
export { foldDataFromLayout, type FoldData, type FoldTestData } from './fold-data.ts';
export {
  DEFAULT_RECIPE,
  resolveRecipe,
  recipeProblems,
  RecipeSchema,
  type RecipeProblem,
  type TrainingRecipe,
  type RecipeInput,
  type OptimizerConfig,
  type ScheduleConfig,
  type AugmentationConfig,
} from './recipe.ts';
export { learningRateAt, updatePlateau, initialPlateauState, type PlateauState } from './schedules.ts';
export { AdamOptimizer, type OptimizerState } from './optimizers.ts';
export { clipByGlobalNorm } from './clip-gradients.ts';
export { augmentBatch, oneHotColumns, isAugmenting, type AugmentBatch, type OneHotColumns } from './augmentation.ts';
export { epochOrder, gatherBreaths } from './batches.ts';
export { decodePressure, type DecodeOptions } from './decode-pressure.ts';
export { predictBreaths, type PredictInput } from './predict.ts';
export { inspiratoryMaeFromMask } from './metrics.ts';
export { saveCheckpoint, loadCheckpoint } from './checkpoints.ts';
export { registerFileIo } from './file-io.ts';
export { readResumeState, writeResumeState, RESUME_FILE, type EpochRecord, type ResumeState } from './resume-state.ts';
