/**
 * The reference baseline every score is compared against: the mean inspiratory pressure of the
 * training breaths at each (R, C, time-step index). It knows the lung and the clock, nothing of
 * the controller, so beating it measures what a model learned from u_in.
 */
import { ROWS_PER_BREATH, rcPairIndex, type BreathTable } from '../../dataset/index.ts';

export interface RcTimeMean {
  /** [9 * 80] mean pressure per (R_C pair, time-step index). */
  means: Float64Array;
}

/** Fits on the given training breaths (all breaths of `table` when omitted). */
export function fitRcTimeMean(table: BreathTable, breaths?: ArrayLike<number>): RcTimeMean {
  if (!table.pressure) throw new Error('fitRcTimeMean needs a table with pressure');
  const sums = new Float64Array(9 * ROWS_PER_BREATH);
  const counts = new Float64Array(9 * ROWS_PER_BREATH);
  const n = breaths ? breaths.length : table.nBreaths;
  for (let i = 0; i < n; i++) {
    const b = breaths ? breaths[i] : i;
    const pair = rcPairIndex(table.R[b], table.C[b]);
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      sums[pair * ROWS_PER_BREATH + r] += table.pressure[b * ROWS_PER_BREATH + r];
      counts[pair * ROWS_PER_BREATH + r] += 1;
    }
  }
  // A pair absent from training falls back to the mean over all pairs at that time step.
  const means = new Float64Array(9 * ROWS_PER_BREATH);
  for (let r = 0; r < ROWS_PER_BREATH; r++) {
    let s = 0;
    let c = 0;
    for (let p = 0; p < 9; p++) {
      s += sums[p * ROWS_PER_BREATH + r];
      c += counts[p * ROWS_PER_BREATH + r];
    }
    for (let p = 0; p < 9; p++) {
      const k = p * ROWS_PER_BREATH + r;
      means[k] = counts[k] > 0 ? sums[k] / counts[k] : c > 0 ? s / c : 0;
    }
  }
  return { means };
}

/** Predicted pressure for every row of `table`. */
export function predictRcTimeMean(fitted: RcTimeMean, table: BreathTable): Float64Array {
  const out = new Float64Array(table.nBreaths * ROWS_PER_BREATH);
  for (let b = 0; b < table.nBreaths; b++) {
    const pair = rcPairIndex(table.R[b], table.C[b]);
    out.set(fitted.means.subarray(pair * ROWS_PER_BREATH, (pair + 1) * ROWS_PER_BREATH), b * ROWS_PER_BREATH);
  }
  return out;
}
