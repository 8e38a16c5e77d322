import { checkSameLength, medianInPlace } from '../row-stats.ts';
import type { FoldCombiner } from './fold-combiner.ts';

export const DEFAULT_AGREEMENT = 0.45;

/**
 * Where the folds agree (spread max - min within `agreement`) the mean is the better estimate;
 * where one fold is off, the median ignores it.
 */
export const betterThanMedianFolds: FoldCombiner = {
  name: 'better-than-median',
  description: `mean where the folds agree within a spread of ${DEFAULT_AGREEMENT} (option agreement), median elsewhere`,
  combine(folds, options = {}) {
    const agreement = options.agreement ?? DEFAULT_AGREEMENT;
    if (!(agreement >= 0)) throw new Error(`better-than-median: agreement must be >= 0, got ${agreement}`);
    const n = checkSameLength(folds, 'fold combiner better-than-median');
    const k = folds.length;
    const out = new Float32Array(n);
    const scratch = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      let sum = 0;
      for (let m = 0; m < k; m++) {
        const v = folds[m][i];
        scratch[m] = v;
        sum += v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      out[i] = hi - lo <= agreement ? sum / k : medianInPlace(scratch, k);
    }
    return out;
  },
};
