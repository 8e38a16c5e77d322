/**
 * The small, deterministic data sets the report's charts draw: aggregates (per (R, C), per time
 * step, histogram bins) and a few chosen breaths, never the raw per-row predictions, so the page
 * stays small at Kaggle scale. Values are rounded to 4 decimals; ties break by breath order.
 */
import { ROWS_PER_BREATH, rcPairIndex, rcPairName, type BreathTable } from '../dataset/index.ts';
import type { EpochRecord } from '../models/training/resume-state.ts';

/** One set of out-of-fold predictions: a model's or the blend's. */
export interface OofSeries {
  name: string;
  oof: ArrayLike<number>;
}

export const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

export interface RcCell {
  series: string;
  R: number;
  C: number;
  mae: number;
  breaths: number;
}

/** Inspiratory OOF MAE per (R, C) pair and series; pairs without breaths are left out. */
export function maeByRc(series: OofSeries[], train: BreathTable): RcCell[] {
  const target = train.pressure!;
  const cells: RcCell[] = [];
  for (const { name, oof } of series) {
    const sums = new Float64Array(9);
    const rows = new Float64Array(9);
    const breaths = new Float64Array(9);
    for (let b = 0; b < train.nBreaths; b++) {
      const pair = rcPairIndex(train.R[b], train.C[b]);
      breaths[pair]++;
      for (let i = b * ROWS_PER_BREATH, end = i + ROWS_PER_BREATH; i < end; i++) {
        if (train.uOut[i] !== 0 || Number.isNaN(oof[i])) continue;
        sums[pair] += Math.abs(oof[i] - target[i]);
        rows[pair]++;
      }
    }
    for (let k = 0; k < 9; k++) {
      if (rows[k] === 0) continue;
      const [R, C] = rcPairName(k).split('_').map(Number);
      cells.push({ series: name, R, C, mae: round4(sums[k] / rows[k]), breaths: breaths[k] });
    }
  }
  return cells;
}

/** Inspiratory OOF MAE of each fold's validation breaths. */
export function maeByFold(oof: ArrayLike<number>, train: BreathTable, breathFold: Int32Array): Map<number, number> {
  const target = train.pressure!;
  const totals = new Map<number, { sum: number; rows: number }>();
  for (let i = 0; i < train.uOut.length; i++) {
    if (train.uOut[i] !== 0 || Number.isNaN(oof[i])) continue;
    const fold = breathFold[Math.floor(i / ROWS_PER_BREATH)];
    const total = totals.get(fold) ?? { sum: 0, rows: 0 };
    total.sum += Math.abs(oof[i] - target[i]);
    total.rows++;
    totals.set(fold, total);
  }
  return new Map([...totals].map(([fold, { sum, rows }]) => [fold, sum / rows]));
}

export interface CurvePoint {
  model: string;
  fold: string;
  epoch: number;
  metric: 'training loss' | 'validation inspiratory MAE';
  value: number;
  /** The epoch whose weights the fold kept. */
  best: boolean;
}

export function trainingCurves(jobs: { model: string; fold: number; history: EpochRecord[]; bestEpoch: number }[]): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const { model, fold, history, bestEpoch } of jobs) {
    for (const r of history) {
      const best = r.epoch === bestEpoch;
      points.push({ model, fold: `fold ${fold}`, epoch: r.epoch, metric: 'training loss', value: round4(r.trainLoss), best });
      points.push({ model, fold: `fold ${fold}`, epoch: r.epoch, metric: 'validation inspiratory MAE', value: round4(r.validMae), best });
    }
  }
  return points;
}

/** Inspiratory MAE of each breath (NaN when it has no scored, predicted row). */
export function breathMae(oof: ArrayLike<number>, train: BreathTable): Float64Array {
  const target = train.pressure!;
  const out = new Float64Array(train.nBreaths);
  for (let b = 0; b < train.nBreaths; b++) {
    let sum = 0;
    let n = 0;
    for (let i = b * ROWS_PER_BREATH, end = i + ROWS_PER_BREATH; i < end; i++) {
      if (train.uOut[i] !== 0 || Number.isNaN(oof[i])) continue;
      sum += Math.abs(oof[i] - target[i]);
      n++;
    }
    out[b] = n === 0 ? Number.NaN : sum / n;
  }
  return out;
}

export const EXAMPLE_RANKS = ['best', 'median', 'worst'] as const;

export interface ExampleBreath {
  /** "R=20, C=50" */
  pair: string;
  rank: (typeof EXAMPLE_RANKS)[number];
  breathId: number;
  breathMae: number;
  /** Time of the breath's first expiratory row and of its last row: the shaded span. */
  expStart: number;
  expEnd: number;
  rows: { t: number; u_in: number; pressure: number; predicted: number }[];
}

/** The best, median and worst OOF breath of each (R, C) pair, pairs in R-major order. */
export function exampleBreaths(oof: ArrayLike<number>, train: BreathTable): ExampleBreath[] {
  const mae = breathMae(oof, train);
  const examples: ExampleBreath[] = [];
  for (let k = 0; k < 9; k++) {
    const breaths: number[] = [];
    for (let b = 0; b < train.nBreaths; b++) if (rcPairIndex(train.R[b], train.C[b]) === k && !Number.isNaN(mae[b])) breaths.push(b);
    if (breaths.length === 0) continue;
    breaths.sort((a, b) => mae[a] - mae[b] || a - b);
    const chosen = [breaths[0], breaths[Math.floor((breaths.length - 1) / 2)], breaths[breaths.length - 1]];
    chosen.forEach((b, j) => {
      const start = b * ROWS_PER_BREATH;
      const end = start + ROWS_PER_BREATH;
      let firstExp = end - 1;
      for (let i = start; i < end; i++) {
        if (train.uOut[i] !== 0) {
          firstExp = i;
          break;
        }
      }
      const rows: ExampleBreath['rows'] = [];
      for (let i = start; i < end; i++) {
        rows.push({ t: round4(train.timeStep[i]), u_in: round4(train.uIn[i]), pressure: round4(train.pressure![i]), predicted: round4(oof[i]) });
      }
      examples.push({
        pair: `R=${train.R[b]}, C=${train.C[b]}`,
        rank: EXAMPLE_RANKS[j],
        breathId: train.breathId[b],
        breathMae: round4(mae[b]),
        expStart: round4(train.timeStep[firstExp]),
        expEnd: round4(train.timeStep[end - 1]),
        rows,
      });
    });
  }
  return examples;
}

export interface HistogramBin {
  series: string;
  start: number;
  end: number;
  count: number;
}

export const HISTOGRAM_BINS = 60;

/**
 * Counts of OOF residuals (predicted - true) on inspiratory rows, in equal bins over a range
 * shared by every series: symmetric, to the 99.5th percentile of |residual| over all of them
 * (the rest fall in the outer bins) so one outlier does not flatten the chart.
 */
export function residualHistogram(series: OofSeries[], train: BreathTable): HistogramBin[] {
  const target = train.pressure!;
  const residuals = series.map(({ oof }) => {
    const out = new Float64Array(train.uOut.length);
    let n = 0;
    for (let i = 0; i < train.uOut.length; i++) if (train.uOut[i] === 0 && !Number.isNaN(oof[i])) out[n++] = oof[i] - target[i];
    return out.subarray(0, n);
  });
  // The percentile from an evenly strided sample of at most ~200k residuals: exact enough for a
  // chart range, and a Kaggle-sized run does not sort millions.
  const total = residuals.reduce((n, r) => n + r.length, 0);
  const stride = Math.max(1, Math.ceil(total / 200_000));
  const sample: number[] = [];
  for (const r of residuals) for (let i = 0; i < r.length; i += stride) sample.push(Math.abs(r[i]));
  const magnitudes = Float64Array.from(sample).sort();
  const limit = magnitudes.length === 0 ? 1 : Math.max(magnitudes[Math.min(magnitudes.length - 1, Math.floor(0.995 * magnitudes.length))], 1e-6);
  const width = (2 * limit) / HISTOGRAM_BINS;
  const bins: HistogramBin[] = [];
  series.forEach(({ name }, s) => {
    const counts = new Float64Array(HISTOGRAM_BINS);
    for (const r of residuals[s]) counts[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor((r + limit) / width)))]++;
    counts.forEach((count, k) => bins.push({ series: name, start: round4(-limit + k * width), end: round4(-limit + (k + 1) * width), count }));
  });
  return bins;
}

export interface StepMae {
  series: string;
  step: number;
  mae: number;
  rows: number;
}

/** Inspiratory OOF MAE at each time step (row index within the breath) that has inspiratory rows. */
export function maeByTimeStep(series: OofSeries[], train: BreathTable): StepMae[] {
  const target = train.pressure!;
  const out: StepMae[] = [];
  for (const { name, oof } of series) {
    const sums = new Float64Array(ROWS_PER_BREATH);
    const rows = new Float64Array(ROWS_PER_BREATH);
    for (let i = 0; i < train.uOut.length; i++) {
      if (train.uOut[i] !== 0 || Number.isNaN(oof[i])) continue;
      const step = i % ROWS_PER_BREATH;
      sums[step] += Math.abs(oof[i] - target[i]);
      rows[step]++;
    }
    for (let step = 0; step < ROWS_PER_BREATH; step++) if (rows[step] > 0) out.push({ series: name, step, mae: round4(sums[step] / rows[step]), rows: rows[step] });
  }
  return out;
}
