export type { Breath, Feature, FeatureLayout, FeatureSet, InputColumn } from './types.ts';
export { allocateBreath, readBreath } from './breath.ts';
export { createFeatureRegistry, type FeatureRegistry } from './registry.ts';
export { featureRegistry } from './catalog.ts';
export { buildFeatures, columnNames, computeColumns, featureSetHash, resolveFeatures } from './build.ts';
export { selectBreaths } from './layout.ts';
export { quantileInPlace, selectInPlace } from './quantile.ts';
export { scalerRegistry, applyScaler, fitScaler, readScaler, writeScaler, type FittedScaler, type Scaler, type ScalerKind } from './scaler.ts';
export { buildFeaturesCached, featureCachePath, readLayoutArrow, writeLayoutArrow } from './cache.ts';
