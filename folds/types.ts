/** Which validation fold each breath belongs to. */
export interface FoldAssignment {
  nFolds: number;
  /** Breath ids, ascending. */
  breathIds: Int32Array;
  /** Fold (0..nFolds-1) of breathIds[i]. */
  folds: Uint8Array;
}

export interface FoldOptions {
  nFolds: number;
  seed: number;
  /** Keep each R_C pair's share of breaths in every fold. */
  stratified: boolean;
}
