/**
 * Types shared by the feature stage: the per-breath input a feature sees, the feature contract,
 * named feature sets and the model-ready layout the stage produces.
 */

/** One breath's inputs, 80 rows, copied out of the breath table: a feature sees nothing else. */
export interface Breath {
  /** Airway resistance, cmH2O/L/s (5, 20 or 50). */
  R: number;
  /** Lung compliance, mL/cmH2O (10, 20 or 50). */
  C: number;
  timeStep: Float64Array;
  uIn: Float64Array;
  uOut: Uint8Array;
}

/** The breath-table inputs a feature may read. */
export type InputColumn = 'timeStep' | 'uIn' | 'uOut' | 'R' | 'C';

export interface Feature {
  /** Unique name; feature sets refer to it. */
  name: string;
  /** One line saying what it computes. */
  description: string;
  /** Inputs it reads. */
  needs: readonly InputColumn[];
  /** Output column names, one Float32 value per row each. */
  columns: readonly string[];
  /** Columns that only take the values 0 and 1: scalers leave them as they are. */
  binary: readonly boolean[];
  /** Writes every row of `out[k]` (80 values) for each output column k, from this breath alone. */
  compute(breath: Breath, out: Float32Array[]): void;
}

/** A named selection of features; their columns appear in this order. */
export interface FeatureSet {
  name: string;
  description: string;
  features: readonly string[];
}

/**
 * Model-ready data: `features` is a contiguous [nBreaths, 80, nFeatures] Float32Array, row r of
 * breath b at (b * 80 + r) * nFeatures. Per-row `inspiratory` (1 where u_out == 0, the scored
 * rows) and `target` (pressure; null for test data). Breath b is breath b of the source table.
 */
export interface FeatureLayout {
  nBreaths: number;
  nFeatures: number;
  featureNames: string[];
  /** Per column: true for 0/1 columns, which scalers do not touch. */
  binary: boolean[];
  breathId: Int32Array;
  features: Float32Array;
  inspiratory: Uint8Array;
  target: Float32Array | null;
}
