/** The trainer's view of model-ready data, and the adapter from the feature stage's layout. */
import type { FeatureLayout } from '../../features/index.ts';

/** Model-ready training data in the contiguous layout of features/. */
export interface FoldData {
  /** [nBreaths, 80, nFeatures] */
  x: Float32Array;
  /** [nBreaths * 80] 1 on inspiratory rows (u_out == 0). */
  mask: Float32Array | Uint8Array;
  /** [nBreaths * 80] pressure. */
  target: Float32Array;
  /**
   * [nBreaths * 80] the weight of each row in the loss (pseudo-labelled breaths); absent, every
   * row weighs 1. Validation scores rows by the metric, unweighted.
   */
  weight?: Float32Array;
  nBreaths: number;
  nFeatures: number;
  /** Column names: augmentation finds the one-hot R/C columns by name. */
  featureNames?: readonly string[];
}

/** Breaths to predict only (test data): no target. */
export interface FoldTestData {
  x: Float32Array;
  nBreaths: number;
  mask: Float32Array | Uint8Array;
}

/** A training layout (with target) as FoldData, without copying. */
export function foldDataFromLayout(layout: FeatureLayout): FoldData {
  if (!layout.target) throw new Error('foldDataFromLayout: the layout has no target (test data?)');
  return {
    x: layout.features,
    mask: layout.inspiratory,
    target: layout.target,
    nBreaths: layout.nBreaths,
    nFeatures: layout.nFeatures,
    featureNames: layout.featureNames,
  };
}
