/** How several models' predictions become one. */

/** What a blend learned: per-model weights for weighted blends, nothing for fixed rules (median, mean). */
export interface BlendFit {
  weights?: number[];
}

export interface BlendMethod {
  name: string;
  description: string;
  /**
   * Learns from out-of-fold predictions: predictions[m][i] is model m on row i, target[i] the true
   * pressure; callers pass inspiratory rows only, since only those are scored.
   */
  fit(predictions: Float32Array[], target: Float64Array): BlendFit;
  /** Applies a fit to predictions of any rows (OOF or test). */
  apply(fit: BlendFit, predictions: Float32Array[]): Float32Array;
}
