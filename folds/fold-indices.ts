/** From a fold assignment (by breath id) to positions in a particular table or layout. */
import type { FoldAssignment } from './types.ts';

/** Fold of each breath, in the order of `breathIds` (e.g. a table's); throws for a breath the assignment lacks. */
export function foldsOf(assignment: FoldAssignment, breathIds: ArrayLike<number>): Uint8Array {
  const foldById = new Map<number, number>();
  assignment.breathIds.forEach((id, i) => foldById.set(id, assignment.folds[i]));
  return Uint8Array.from({ length: breathIds.length }, (_, b) => {
    const fold = foldById.get(breathIds[b]);
    if (fold === undefined) throw new Error(`breath_id ${breathIds[b]} has no fold`);
    return fold;
  });
}

/** Breath indices (into `breathIds`) to train on and to validate on for one fold. */
export function foldBreathIndices(assignment: FoldAssignment, breathIds: ArrayLike<number>, fold: number): { train: Int32Array; valid: Int32Array } {
  if (!Number.isInteger(fold) || fold < 0 || fold >= assignment.nFolds) throw new Error(`fold ${fold} outside 0..${assignment.nFolds - 1}`);
  const folds = foldsOf(assignment, breathIds);
  const train: number[] = [];
  const valid: number[] = [];
  folds.forEach((f, b) => (f === fold ? valid : train).push(b));
  return { train: Int32Array.from(train), valid: Int32Array.from(valid) };
}
