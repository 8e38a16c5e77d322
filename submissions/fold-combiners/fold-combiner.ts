/** How the test predictions of one model's folds become one prediction per test row. */
export interface FoldCombinerOptions {
  /** better-than-median: largest spread (max - min across folds) at which a row takes the mean. Default 0.45. */
  agreement?: number;
}

export interface FoldCombiner {
  name: string;
  description: string;
  combine(foldPredictions: Float32Array[], options?: FoldCombinerOptions): Float32Array;
}
