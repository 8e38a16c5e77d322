import { rcPairIndex, type BreathTable } from '../dataset/index.ts';
import { groupKFold } from './group-kfold.ts';
import { stratifiedGroupKFold } from './stratified-group-kfold.ts';
import type { FoldAssignment, FoldOptions } from './types.ts';

/** Folds for a breath table, stratified on the R_C pair when asked. */
export function assignFolds(table: BreathTable, { nFolds, seed, stratified }: FoldOptions): FoldAssignment {
  if (!stratified) return groupKFold(table.breathId, nFolds, seed);
  const pairs = Uint8Array.from({ length: table.nBreaths }, (_, b) => rcPairIndex(table.R[b], table.C[b]));
  return stratifiedGroupKFold(table.breathId, pairs, nFolds, seed);
}
