/**
 * Registries of features and feature sets (core's registry helper), with the checks features
 * need on top: no two features share a name or an output column, and a set names only features
 * that exist.
 */
import { createRegistry } from '../core/index.ts';
import type { Feature, FeatureSet } from './types.ts';

export interface FeatureRegistry {
  register(feature: Feature): void;
  get(name: string): Feature;
  has(name: string): boolean;
  /** All features in registration order. */
  list(): Feature[];
  registerSet(set: FeatureSet): void;
  getSet(name: string): FeatureSet;
  listSets(): FeatureSet[];
  /** The features of a set (or of an explicit list of feature names), in order. */
  resolve(set: string | FeatureSet): Feature[];
}

function checkFeature(feature: Feature): void {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(feature.name)) throw new Error(`feature name '${feature.name}': expected letters, digits and _`);
  if (feature.columns.length === 0) throw new Error(`feature '${feature.name}' has no output columns`);
  if (feature.binary.length !== feature.columns.length) {
    throw new Error(`feature '${feature.name}': ${feature.columns.length} columns but ${feature.binary.length} binary flags`);
  }
}

export function createFeatureRegistry(): FeatureRegistry {
  const features = createRegistry<Feature>('feature');
  const sets = createRegistry<FeatureSet>('feature set');
  const columnOwner = new Map<string, string>();

  const registry: FeatureRegistry = {
    register(feature) {
      checkFeature(feature);
      if (features.has(feature.name)) throw new Error(`feature '${feature.name}' is already registered`);
      for (const column of feature.columns) {
        const owner = columnOwner.get(column);
        if (owner) throw new Error(`feature '${feature.name}': column '${column}' is already produced by '${owner}'`);
      }
      features.register(feature);
      for (const column of feature.columns) columnOwner.set(column, feature.name);
    },
    get: (name) => features.get(name),
    has: (name) => features.has(name),
    list: () => features.list(),
    registerSet(set) {
      if (new Set(set.features).size !== set.features.length) throw new Error(`feature set '${set.name}' names a feature twice`);
      for (const name of set.features) {
        if (!features.has(name)) throw new Error(`feature set '${set.name}': unknown feature '${name}'`);
      }
      sets.register(set);
    },
    getSet: (name) => sets.get(name),
    listSets: () => sets.list(),
    resolve(set) {
      const named = typeof set === 'string' ? registry.getSet(set) : set;
      return named.features.map((name) => registry.get(name));
    },
  };
  return registry;
}
