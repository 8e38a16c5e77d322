/**
 * The competition metric: mean absolute error over the inspiratory rows (u_out == 0) only.
 * Every score in Tidal (OOF, blends, `tidal score`, `tidal submit`) goes through this file.
 */
import { C_VALUES, R_VALUES, ROWS_PER_BREATH, rcPairIndex, rcPairName, type BreathTable } from '../dataset/index.ts';

type Values = ArrayLike<number>;

/** MAE over rows with uOut == 0; NaN when there are no such rows. */
export function inspiratoryMaeFromUOut(pred: Values, target: Values, uOut: ArrayLike<number>): number {
  if (pred.length !== target.length || pred.length !== uOut.length) {
    throw new Error(`inspiratoryMaeFromUOut: lengths differ (pred ${pred.length}, target ${target.length}, uOut ${uOut.length})`);
  }
  let sum = 0;
  let n = 0;
  for (let i = 0; i < pred.length; i++) {
    if (uOut[i] !== 0) continue;
    sum += Math.abs(pred[i] - target[i]);
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

export interface RcScore {
  /** 'all' or the R_C pair, e.g. '20_50'. */
  pair: string;
  /** Inspiratory rows scored. */
  rows: number;
  mae: number;
}

/**
 * The metric overall and per (R, C) pair, for predictions in the row order of `table`
 * (R and C come from the table's breaths). Pairs with no breaths are left out.
 */
export function inspiratoryMaeByRc(pred: Values, target: Values, table: BreathTable): RcScore[] {
  const rows = table.nBreaths * ROWS_PER_BREATH;
  if (pred.length !== rows || target.length !== rows) {
    throw new Error(`inspiratoryMaeByRc: expected ${rows} rows, got pred ${pred.length}, target ${target.length}`);
  }
  const sums = new Float64Array(9);
  const counts = new Float64Array(9);
  for (let b = 0; b < table.nBreaths; b++) {
    if (!R_VALUES.includes(table.R[b] as 5) || !C_VALUES.includes(table.C[b] as 10)) {
      throw new Error(`breath ${table.breathId[b]}: R=${table.R[b]}, C=${table.C[b]} is not a known (R, C) pair`);
    }
    const pair = rcPairIndex(table.R[b], table.C[b]);
    for (let i = b * ROWS_PER_BREATH, end = i + ROWS_PER_BREATH; i < end; i++) {
      if (table.uOut[i] !== 0) continue;
      sums[pair] += Math.abs(pred[i] - target[i]);
      counts[pair]++;
    }
  }
  let total = 0;
  let totalRows = 0;
  const byPair: RcScore[] = [];
  for (let k = 0; k < 9; k++) {
    total += sums[k];
    totalRows += counts[k];
    if (counts[k] > 0) byPair.push({ pair: rcPairName(k), rows: counts[k], mae: sums[k] / counts[k] });
  }
  return [{ pair: 'all', rows: totalRows, mae: totalRows === 0 ? NaN : total / totalRows }, ...byPair];
}
