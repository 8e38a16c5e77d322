/**
 * Scalers, sklearn style: `fitScaler` learns per-column statistics from the training breaths of a
 * fold only; `applyScaler` uses those saved statistics on any layout (train, validation, test).
 * Binary (0/1) columns are never scaled. A fitted scaler is plain JSON, saved with the run.
 */
import { readFileSync } from 'node:fs';
import { ROWS_PER_BREATH } from '../dataset/index.ts';
import { createRegistry, writeFileAtomic } from '../core/index.ts';
import { quantileInPlace } from './quantile.ts';
import type { FeatureLayout } from './types.ts';

/** A scaler: what it learns from a fold's training rows, per non-binary column. */
export interface Scaler {
  name: string;
  description: string;
  /** Sets center[k] and scale[k] for each of `columns` from the training breaths' rows. */
  fit(layout: FeatureLayout, trainBreaths: ArrayLike<number>, columns: number[], center: number[], scale: number[]): void;
}

/** A registered scaler's name. */
export type ScalerKind = string;

export interface FittedScaler {
  kind: ScalerKind;
  featureNames: string[];
  /** Subtracted from each column (0 for binary columns and for `none`). */
  center: number[];
  /** Each column is divided by this after centering (1 for binary columns and for `none`). */
  scale: number[];
}

/** Columns gathered per pass over the layout by the robust scaler: fewer passes, bounded scratch memory. */
const ROBUST_BLOCK = 8;

/**
 * sklearn's rule (_handle_zeros_in_scale): a constant or nearly constant column, scale below 10
 * machine epsilons, gets scale 1. Dividing by a tinier spread (time steps packed in float32's
 * subnormal range) would turn ordinary values of other breaths into Infinity.
 */
const MIN_SCALE = 10 * Number.EPSILON;

function safeScale(s: number): number {
  return s >= MIN_SCALE && Number.isFinite(s) ? s : 1;
}

function checkIndices(layout: FeatureLayout, trainBreathIndices: ArrayLike<number>): void {
  if (trainBreathIndices.length === 0) throw new Error('fitScaler: no training breaths');
  for (let i = 0; i < trainBreathIndices.length; i++) {
    const b = trainBreathIndices[i];
    if (!Number.isInteger(b) || b < 0 || b >= layout.nBreaths) throw new Error(`fitScaler: breath index ${b} outside 0..${layout.nBreaths - 1}`);
  }
}

function fitRobust(layout: FeatureLayout, train: ArrayLike<number>, columns: number[], center: number[], scale: number[]): void {
  const F = layout.nFeatures;
  const n = train.length * ROWS_PER_BREATH;
  const scratch = Array.from({ length: Math.min(ROBUST_BLOCK, columns.length) }, () => new Float32Array(n));
  for (let start = 0; start < columns.length; start += ROBUST_BLOCK) {
    const block = columns.slice(start, start + ROBUST_BLOCK);
    let at = 0;
    for (let i = 0; i < train.length; i++) {
      const rowStart = train[i] * ROWS_PER_BREATH;
      for (let r = 0; r < ROWS_PER_BREATH; r++, at++) {
        const base = (rowStart + r) * F;
        for (let c = 0; c < block.length; c++) scratch[c][at] = layout.features[base + block[c]];
      }
    }
    block.forEach((k, c) => {
      const median = quantileInPlace(scratch[c], 0.5);
      const iqr = quantileInPlace(scratch[c], 0.75) - quantileInPlace(scratch[c], 0.25);
      center[k] = median;
      scale[k] = safeScale(iqr);
    });
  }
}

function fitStandard(layout: FeatureLayout, train: ArrayLike<number>, columns: number[], center: number[], scale: number[]): void {
  const F = layout.nFeatures;
  const values = layout.features;
  const n = train.length * ROWS_PER_BREATH;
  const cols = Int32Array.from(columns);
  const means = new Float64Array(F);
  const squares = new Float64Array(F);
  for (let i = 0; i < train.length; i++) {
    const end = (train[i] + 1) * ROWS_PER_BREATH * F;
    for (let base = train[i] * ROWS_PER_BREATH * F; base < end; base += F) {
      for (let c = 0; c < cols.length; c++) means[cols[c]] += values[base + cols[c]];
    }
  }
  for (let k = 0; k < F; k++) means[k] /= n;
  // Second pass over deviations: stabler than the sum of squares minus the squared sum.
  for (let i = 0; i < train.length; i++) {
    const end = (train[i] + 1) * ROWS_PER_BREATH * F;
    for (let base = train[i] * ROWS_PER_BREATH * F; base < end; base += F) {
      for (let c = 0; c < cols.length; c++) {
        const d = values[base + cols[c]] - means[cols[c]];
        squares[cols[c]] += d * d;
      }
    }
  }
  for (const k of columns) {
    center[k] = means[k];
    scale[k] = safeScale(Math.sqrt(squares[k] / n));
  }
}

/** Scalers by name: a new one is a `Scaler` plus one line here. */
export const scalerRegistry = createRegistry<Scaler>('scaler');
scalerRegistry.register({ name: 'robust', description: 'median and interquartile range (sklearn RobustScaler)', fit: fitRobust });
scalerRegistry.register({ name: 'standard', description: 'mean and standard deviation (sklearn StandardScaler)', fit: fitStandard });
scalerRegistry.register({ name: 'none', description: 'leaves every column as it is', fit: () => {} });

export function fitScaler(kind: ScalerKind, layout: FeatureLayout, trainBreathIndices: ArrayLike<number>): FittedScaler {
  const scaler = scalerRegistry.get(kind);
  checkIndices(layout, trainBreathIndices);
  const center = new Array<number>(layout.nFeatures).fill(0);
  const scale = new Array<number>(layout.nFeatures).fill(1);
  const columns = layout.binary.flatMap((binary, k) => (binary ? [] : [k]));
  scaler.fit(layout, trainBreathIndices, columns, center, scale);
  return { kind, featureNames: [...layout.featureNames], center, scale };
}

/**
 * A layout with scaled features (mask, target and ids shared with the input), written into `into`:
 * a new array by default; `layout.features` itself scales in place (each value is read before it
 * is overwritten), so a caller that no longer needs the raw values never holds both.
 */
export function applyScaler(fitted: FittedScaler, layout: FeatureLayout, into: Float32Array = new Float32Array(layout.features.length)): FeatureLayout {
  const F = layout.nFeatures;
  if (F !== fitted.featureNames.length || fitted.featureNames.some((name, k) => name !== layout.featureNames[k])) {
    throw new Error(`applyScaler: scaler fitted on [${fitted.featureNames.join(', ')}], layout has [${layout.featureNames.join(', ')}]`);
  }
  if (into.length !== layout.features.length) throw new Error(`applyScaler: ${into.length} output values for ${layout.features.length} features`);
  const features = into;
  const center = Float64Array.from(fitted.center);
  const inverse = Float64Array.from(fitted.scale, (s) => 1 / s);
  for (let base = 0; base < features.length; base += F) {
    for (let k = 0; k < F; k++) features[base + k] = (layout.features[base + k] - center[k]) * inverse[k];
  }
  return { ...layout, features };
}

export function writeScaler(path: string, fitted: FittedScaler): void {
  writeFileAtomic(path, `${JSON.stringify(fitted, null, 2)}\n`);
}

export function readScaler(path: string): FittedScaler {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not a scaler JSON file (${(err as Error).message})`);
  }
  const s = parsed as Partial<FittedScaler>;
  const fail = (what: string) => {
    throw new Error(`${path}: ${what}`);
  };
  if (!s || typeof s !== 'object') fail('expected an object');
  if (typeof s.kind !== 'string' || !scalerRegistry.has(s.kind)) fail(`field "kind": expected one of ${scalerRegistry.names().join(', ')}, got ${JSON.stringify(s.kind)}`);
  if (!Array.isArray(s.featureNames) || s.featureNames.some((n) => typeof n !== 'string')) fail('field "featureNames": expected an array of strings');
  for (const field of ['center', 'scale'] as const) {
    const values = s[field];
    if (!Array.isArray(values) || values.length !== s.featureNames!.length) fail(`field "${field}": expected ${s.featureNames!.length} numbers`);
    const bad = values!.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || (field === 'scale' && v === 0));
    if (bad >= 0) fail(`field "${field}"[${bad}] (${s.featureNames![bad]}): expected a finite${field === 'scale' ? ' non-zero' : ''} number, got ${JSON.stringify(values![bad])}`);
  }
  return s as FittedScaler;
}
