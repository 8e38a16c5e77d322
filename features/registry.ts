/**
 * Registries of features and feature sets: plain maps with a guard, so two features can never
 * silently share a name and a set can only name features that exist.
 */
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
  const features = new Map<string, Feature>();
  const columnOwner = new Map<string, string>();
  const sets = new Map<string, FeatureSet>();

  const registry: FeatureRegistry = {
    register(feature) {
      checkFeature(feature);
      if (features.has(feature.name)) throw new Error(`feature '${feature.name}' is already registered`);
      for (const column of feature.columns) {
        const owner = columnOwner.get(column);
        if (owner) throw new Error(`feature '${feature.name}': column '${column}' is already produced by '${owner}'`);
      }
      features.set(feature.name, feature);
      for (const column of feature.columns) columnOwner.set(column, feature.name);
    },
    get(name) {
      const feature = features.get(name);
      if (!feature) throw new Error(`unknown feature '${name}' (known: ${[...features.keys()].join(', ')})`);
      return feature;
    },
    has: (name) => features.has(name),
    list: () => [...features.values()],
    registerSet(set) {
      if (sets.has(set.name)) throw new Error(`feature set '${set.name}' is already registered`);
      if (new Set(set.features).size !== set.features.length) throw new Error(`feature set '${set.name}' names a feature twice`);
      for (const name of set.features) {
        if (!features.has(name)) throw new Error(`feature set '${set.name}': unknown feature '${name}'`);
      }
      sets.set(set.name, set);
    },
    getSet(name) {
      const set = sets.get(name);
      if (!set) throw new Error(`unknown feature set '${name}' (known: ${[...sets.keys()].join(', ')})`);
      return set;
    },
    listSets: () => [...sets.values()],
    resolve(set) {
      const named = typeof set === 'string' ? registry.getSet(set) : set;
      return named.features.map((name) => registry.get(name));
    },
  };
  return registry;
}
