/**
 * The summary statistics the simulator is calibrated on (docs/ventilator.md), measured on
 * any breath table with pressure, next to the real training data's figures.
 */
import { ROWS_PER_BREATH, type BreathTable } from '../dataset/breath-table.ts';

export interface BreathStatistics {
  inspiratoryRowsPerBreath: number;
  pressureMean: number;
  pressureSd: number;
  pressureQ1: number;
  pressureMedian: number;
  pressureQ3: number;
  inspiratoryPressureMean: number;
  inspiratoryPressureSd: number;
  inspiratoryPressureQ1: number;
  inspiratoryPressureMedian: number;
  inspiratoryPressureQ3: number;
  expiratoryPressureMean: number;
  expiratoryPressureMedian: number;
  inspiratoryUInMean: number;
  inspiratoryUInSd: number;
  inspiratoryUInQ1: number;
  inspiratoryUInMedian: number;
  inspiratoryUInQ3: number;
  expiratoryUInMean: number;
  expiratoryUInQ1: number;
  expiratoryUInMedian: number;
  expiratoryUInQ3: number;
  /** Share of rows with pressure < 0. */
  negativePressureShare: number;
  /** Share of breaths per R = 5, 20, 50. */
  shareR5: number;
  shareR20: number;
  shareR50: number;
  timeStepMax: number;
}

/** The real train.csv (docs/ventilator.md); NaN where the source gives no figure. */
export const REAL_STATISTICS: BreathStatistics = {
  inspiratoryRowsPerBreath: 2290968 / 75450,
  pressureMean: 11.22,
  pressureSd: 8.11,
  pressureQ1: 6.33,
  pressureMedian: 7.03,
  pressureQ3: 13.64,
  inspiratoryPressureMean: 17.6,
  inspiratoryPressureSd: 9.25,
  inspiratoryPressureQ1: 9.92,
  inspiratoryPressureMedian: 15.82,
  inspiratoryPressureQ3: 23.98,
  expiratoryPressureMean: 7.32,
  expiratoryPressureMedian: 6.54,
  inspiratoryUInMean: 14.48,
  inspiratoryUInSd: 19.43,
  inspiratoryUInQ1: 2.05,
  inspiratoryUInMedian: 7.33,
  inspiratoryUInQ3: 18.13,
  expiratoryUInMean: 2.94,
  expiratoryUInQ1: 0,
  expiratoryUInMedian: 3.78,
  expiratoryUInQ3: 4.86,
  negativePressureShare: 3713 / 6036000,
  shareR5: 0.3,
  shareR20: 0.27,
  shareR50: 0.4,
  timeStepMax: 2.937,
};

/** Quantile q of sorted values, linearly interpolated between order statistics (pandas' default). */
export function quantileOfSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

interface Summary {
  mean: number;
  sd: number;
  q1: number;
  median: number;
  q3: number;
}

function summarise(values: Float64Array): Summary {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  const sorted = values.slice().sort();
  return {
    mean,
    sd: Math.sqrt(squares / (values.length - 1)),
    q1: quantileOfSorted(sorted, 0.25),
    median: quantileOfSorted(sorted, 0.5),
    q3: quantileOfSorted(sorted, 0.75),
  };
}

export function describeBreaths(table: BreathTable): BreathStatistics {
  const pressure = table.pressure;
  if (!pressure) throw new Error('describeBreaths: the table has no pressure column');
  const rows = table.nBreaths * ROWS_PER_BREATH;
  let nInsp = 0;
  for (let i = 0; i < rows; i++) if (table.uOut[i] === 0) nInsp++;
  const pIn = new Float64Array(nInsp);
  const pEx = new Float64Array(rows - nInsp);
  const uIn = new Float64Array(nInsp);
  const uEx = new Float64Array(rows - nInsp);
  let a = 0;
  let e = 0;
  let negative = 0;
  let timeStepMax = -Infinity;
  for (let i = 0; i < rows; i++) {
    if (table.uOut[i] === 0) {
      pIn[a] = pressure[i];
      uIn[a++] = table.uIn[i];
    } else {
      pEx[e] = pressure[i];
      uEx[e++] = table.uIn[i];
    }
    if (pressure[i] < 0) negative++;
    if (table.timeStep[i] > timeStepMax) timeStepMax = table.timeStep[i];
  }
  const all = summarise(pressure.subarray(0, rows));
  const pi = summarise(pIn);
  const pe = summarise(pEx);
  const ui = summarise(uIn);
  const ue = summarise(uEx);
  const share = (r: number) => table.R.filter((x) => x === r).length / table.nBreaths;
  return {
    inspiratoryRowsPerBreath: nInsp / table.nBreaths,
    pressureMean: all.mean,
    pressureSd: all.sd,
    pressureQ1: all.q1,
    pressureMedian: all.median,
    pressureQ3: all.q3,
    inspiratoryPressureMean: pi.mean,
    inspiratoryPressureSd: pi.sd,
    inspiratoryPressureQ1: pi.q1,
    inspiratoryPressureMedian: pi.median,
    inspiratoryPressureQ3: pi.q3,
    expiratoryPressureMean: pe.mean,
    expiratoryPressureMedian: pe.median,
    inspiratoryUInMean: ui.mean,
    inspiratoryUInSd: ui.sd,
    inspiratoryUInQ1: ui.q1,
    inspiratoryUInMedian: ui.median,
    inspiratoryUInQ3: ui.q3,
    expiratoryUInMean: ue.mean,
    expiratoryUInQ1: ue.q1,
    expiratoryUInMedian: ue.median,
    expiratoryUInQ3: ue.q3,
    negativePressureShare: negative / rows,
    shareR5: share(5),
    shareR20: share(20),
    shareR50: share(50),
    timeStepMax,
  };
}
