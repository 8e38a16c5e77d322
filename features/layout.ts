import { ROWS_PER_BREATH } from '../dataset/index.ts';
import type { FeatureLayout } from './types.ts';

/** A new layout holding only the given breaths (by index into `layout`), in the given order. */
export function selectBreaths(layout: FeatureLayout, breathIndices: ArrayLike<number>): FeatureLayout {
  const n = breathIndices.length;
  const breathValues = ROWS_PER_BREATH * layout.nFeatures;
  const features = new Float32Array(n * breathValues);
  const inspiratory = new Uint8Array(n * ROWS_PER_BREATH);
  const target = layout.target ? new Float32Array(n * ROWS_PER_BREATH) : null;
  const breathId = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const b = breathIndices[i];
    if (!Number.isInteger(b) || b < 0 || b >= layout.nBreaths) throw new Error(`breath index ${b} outside 0..${layout.nBreaths - 1}`);
    breathId[i] = layout.breathId[b];
    features.set(layout.features.subarray(b * breathValues, (b + 1) * breathValues), i * breathValues);
    inspiratory.set(layout.inspiratory.subarray(b * ROWS_PER_BREATH, (b + 1) * ROWS_PER_BREATH), i * ROWS_PER_BREATH);
    target?.set(layout.target!.subarray(b * ROWS_PER_BREATH, (b + 1) * ROWS_PER_BREATH), i * ROWS_PER_BREATH);
  }
  return { ...layout, nBreaths: n, featureNames: [...layout.featureNames], binary: [...layout.binary], breathId, features, inspiratory, target };
}
