/**
 * Builds the model-ready layout from a breath table: each feature runs once per breath on a copy
 * of that breath's rows, so no feature can read across a breath boundary; its 80-row outputs are
 * then interleaved into the [breaths, 80, features] array.
 */
import { ROWS_PER_BREATH, type BreathTable } from '../dataset/index.ts';
import { hashJson } from '../core/index.ts';
import { allocateBreath, readBreath } from './breath.ts';
import { featureRegistry } from './catalog.ts';
import type { Feature, FeatureLayout, FeatureSet } from './types.ts';

/** Bump when the layout or its cache file changes shape. */
const LAYOUT_FORMAT = 1;

export function resolveFeatures(set: string | FeatureSet | readonly Feature[]): Feature[] {
  return Array.isArray(set) ? [...(set as readonly Feature[])] : featureRegistry.resolve(set as string | FeatureSet);
}

/**
 * A hash of what the features compute: names, columns and the source of each `compute`, so
 * editing a feature's code changes the cache key and stale caches are not reused.
 */
export function featureSetHash(set: string | FeatureSet | readonly Feature[]): string {
  return hashJson({
    format: LAYOUT_FORMAT,
    features: resolveFeatures(set).map((f) => ({ name: f.name, columns: f.columns, binary: f.binary, code: f.compute.toString() })),
  });
}

/** Calls `visit(b, outputs)` after each feature has written breath b's rows into `outputs` (one 80-row array per column). */
function forEachBreath(table: BreathTable, features: Feature[], visit: (b: number, outputs: Float32Array[]) => void): void {
  const breath = allocateBreath();
  const perFeature = features.map((f) => f.columns.map(() => new Float32Array(ROWS_PER_BREATH)));
  const outputs = perFeature.flat();
  for (let b = 0; b < table.nBreaths; b++) {
    readBreath(table, b, breath);
    for (let f = 0; f < features.length; f++) features[f].compute(breath, perFeature[f]);
    visit(b, outputs);
  }
}

/** Column names of a feature list, in layout order. */
export function columnNames(features: readonly Feature[]): string[] {
  return features.flatMap((f) => f.columns);
}

/** Features as separate per-row columns (column-major): for checks and small tables. */
export function computeColumns(table: BreathTable, set: string | FeatureSet | readonly Feature[]): Map<string, Float32Array> {
  const features = resolveFeatures(set);
  const names = columnNames(features);
  const rows = table.nBreaths * ROWS_PER_BREATH;
  const columns = names.map(() => new Float32Array(rows));
  forEachBreath(table, features, (b, outputs) => {
    for (let k = 0; k < outputs.length; k++) columns[k].set(outputs[k], b * ROWS_PER_BREATH);
  });
  return new Map(names.map((name, k) => [name, columns[k]]));
}

export function buildFeatures(table: BreathTable, set: string | FeatureSet | readonly Feature[]): FeatureLayout {
  const features = resolveFeatures(set);
  const featureNames = columnNames(features);
  const nFeatures = featureNames.length;
  const rows = table.nBreaths * ROWS_PER_BREATH;
  const values = new Float32Array(rows * nFeatures);
  forEachBreath(table, features, (b, outputs) => {
    // Row-major writes: the breath's outputs (a few KB) stay in cache, the big array is written in order.
    let at = b * ROWS_PER_BREATH * nFeatures;
    for (let r = 0; r < ROWS_PER_BREATH; r++) {
      for (let k = 0; k < nFeatures; k++) values[at++] = outputs[k][r];
    }
  });
  const inspiratory = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) inspiratory[i] = table.uOut[i] === 0 ? 1 : 0;
  return {
    nBreaths: table.nBreaths,
    nFeatures,
    featureNames,
    binary: features.flatMap((f) => [...f.binary]),
    breathId: table.breathId.slice(),
    features: values,
    inspiratory,
    target: table.pressure ? new Float32Array(table.pressure) : null,
  };
}
