import { dealFolds } from './deal.ts';
import type { FoldAssignment } from './types.ts';

/**
 * Seeded GroupKFold by breath that keeps each stratum's share in every fold: within a stratum,
 * fold sizes differ by at most one breath. `strata[i]` is the stratum of breathIds[i].
 */
export function stratifiedGroupKFold(breathIds: ArrayLike<number>, strata: ArrayLike<number>, nFolds: number, seed: number): FoldAssignment {
  return dealFolds(breathIds, strata, nFolds, seed);
}
