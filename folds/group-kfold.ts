import { dealFolds } from './deal.ts';
import type { FoldAssignment } from './types.ts';

/** Seeded GroupKFold by breath: every breath in exactly one validation fold, sizes within one breath. */
export function groupKFold(breathIds: ArrayLike<number>, nFolds: number, seed: number): FoldAssignment {
  return dealFolds(breathIds, new Uint8Array(breathIds.length), nFolds, seed);
}
