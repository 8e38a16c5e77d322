/**
 * The fold-drawing core shared by the plain and stratified splits. Breaths are first sorted by
 * id, so the result depends on the set of ids and not on the order of the input file; each
 * stratum is shuffled with its own seeded generator and dealt round-robin, the deal carrying on
 * from stratum to stratum so that overall fold sizes also differ by at most one breath.
 */
import { createRng } from '../core/index.ts';
import type { FoldAssignment } from './types.ts';

const MAX_FOLDS = 255;

export function dealFolds(breathIds: ArrayLike<number>, strata: ArrayLike<number>, nFolds: number, seed: number): FoldAssignment {
  const n = breathIds.length;
  if (!Number.isInteger(nFolds) || nFolds < 2 || nFolds > MAX_FOLDS) throw new Error(`folds: expected 2..${MAX_FOLDS} folds, got ${nFolds}`);
  if (nFolds > n) throw new Error(`folds: ${nFolds} folds but only ${n} breaths`);
  if (strata.length !== n) throw new Error(`folds: ${n} breath ids but ${strata.length} strata`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => breathIds[a] - breathIds[b]);
  const sortedIds = Int32Array.from(order, (i) => breathIds[i]);
  for (let i = 1; i < n; i++) if (sortedIds[i] === sortedIds[i - 1]) throw new Error(`folds: breath_id ${sortedIds[i]} appears twice`);

  const byStratum = new Map<number, number[]>();
  order.forEach((i, position) => {
    const members = byStratum.get(strata[i]);
    if (members) members.push(position);
    else byStratum.set(strata[i], [position]);
  });

  const folds = new Uint8Array(n);
  let next = 0;
  for (const stratum of [...byStratum.keys()].sort((a, b) => a - b)) {
    const members = byStratum.get(stratum)!;
    const rng = createRng(seed, 'folds', stratum);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    for (const position of members) {
      folds[position] = next;
      next = (next + 1) % nFolds;
    }
  }
  return { nFolds, breathIds: sortedIds, folds };
}
